//! The ROCm probe on the fake machines under tests/fixtures/roots/.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rocm_doctor::probe::rocm::{probe, RocmInstall, RocmProbe};
use rocm_doctor::root::Root;
use rocm_doctor::snapshot::Observed;

fn scenario(name: &str, env: &[(&str, &str)]) -> RocmProbe {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/roots")
        .join(name);
    assert!(dir.is_dir(), "{} missing", dir.display());
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let p = probe(&Root::new(dir), &env);
    serde_json::to_string(&p).expect("serializable");
    p
}

fn install<'a>(p: &'a RocmProbe, path: &str) -> &'a RocmInstall {
    p.installs
        .iter()
        .find(|i| i.path == path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", p.installs))
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const ROCM64_TENSILE: [&str; 9] = [
    "gfx1030", "gfx1100", "gfx1101", "gfx1102", "gfx1200", "gfx1201", "gfx908", "gfx90a", "gfx942",
];

#[test]
fn rx5600xt_rocm702() {
    let p = scenario("rx5600xt-rocm702", &[]);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.opt_rocm, Observed::Present("/opt/rocm-7.0.2".into()));
    assert_eq!(p.installs.len(), 1);
    let i = install(&p, "/opt/rocm-7.0.2");
    assert_eq!(i.layout, "opt");
    assert_eq!(i.aliases, ["/opt/rocm"]);
    assert_eq!(i.version, Observed::Present("7.0.2-56".into()));
    assert!(i.version_dev.is_absent());
    assert_eq!(i.hip_soname_major, Some(7));
    let c = &i.components;
    for lib in [&c.hip, &c.hsa, &c.miopen, &c.rocblas, &c.hipblaslt] {
        assert!(lib.is_present(), "{lib:?}");
    }
    assert!(c
        .hip
        .present()
        .unwrap()
        .contains(&"/opt/rocm-7.0.2/lib/libamdhip64.so.7".to_string()));
    let rb = c.rocblas_kernels.present().unwrap();
    assert_eq!(rb.gfx, strs(&ROCM64_TENSILE));
    assert!(
        !rb.gfx.contains(&"gfx1010".to_string()),
        "no gfx1010 kernels"
    );
    assert_eq!(rb.files_per_gfx["gfx1030"], 3);
    assert!(rb.unparsed.is_empty() && rb.broken.is_empty());
    assert_eq!(
        c.hipblaslt_kernels.present().unwrap().gfx,
        strs(&["gfx1100", "gfx942"])
    );
    let db = c.miopen_db.present().unwrap();
    assert_eq!(db.gfx, strs(&["gfx1030", "gfx1100", "gfx90a", "gfx942"]));
    assert!(db.names.contains(&"gfx90a6e.kdb".to_string()));
    // amdgcn -> lib/llvm/lib/clang/20/lib/amdgcn: one directory, listed once.
    let [dl] = i.device_libs.as_slice() else {
        panic!("{:?}", i.device_libs)
    };
    assert_eq!(dl.producer, Observed::Present("LLVM20.0.0git".into()));
    assert_eq!(dl.llvm_major, Some(20));
    assert_eq!(dl.bc_files, 2);
    assert!(dl.sample.present().unwrap().ends_with("/ocml.bc"));
    assert_eq!(i.llvm_majors, [20]);
    assert!(p.mixed.is_empty());
}

#[test]
fn two_rocms_mixed_by_ld_library_path() {
    let p = scenario(
        "two-rocms",
        &[
            ("LD_LIBRARY_PATH", "/opt/rocm-6.2.4/lib:/usr/local/lib"),
            ("ROCM_PATH", "/opt/rocm"),
        ],
    );
    assert_eq!(p.opt_rocm, Observed::Present("/opt/rocm-7.0.2".into()));
    let paths: Vec<&str> = p.installs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["/opt/rocm-6.2.4", "/opt/rocm-7.0.2"]);
    let old = install(&p, "/opt/rocm-6.2.4");
    assert_eq!(old.version, Observed::Present("6.2.4-120".into()));
    assert_eq!(old.version_dev, Observed::Present("6.2.4-120".into()));
    assert!(old.aliases.is_empty());
    assert_eq!(old.hip_soname_major, Some(6));
    assert_eq!(old.device_libs[0].llvm_major, Some(18));
    assert_eq!(old.llvm_majors, [18]);
    let rb = old.components.rocblas_kernels.present().unwrap();
    assert!(rb.gfx.contains(&"gfx1010".to_string()));
    let new = install(&p, "/opt/rocm-7.0.2");
    assert_eq!(new.aliases, ["/opt/rocm"]);
    assert_eq!(new.device_libs[0].llvm_major, Some(20));

    let by_source: Vec<(&str, &str, Option<&str>)> = p
        .env
        .iter()
        .map(|r| (r.source.as_str(), r.path.as_str(), r.install.as_deref()))
        .collect();
    assert_eq!(
        by_source,
        [
            ("ROCM_PATH", "/opt/rocm", Some("/opt/rocm-7.0.2")),
            (
                "LD_LIBRARY_PATH",
                "/opt/rocm-6.2.4/lib",
                Some("/opt/rocm-6.2.4")
            ),
            (
                "/etc/ld.so.conf.d/rocm.conf",
                "/opt/rocm/lib",
                Some("/opt/rocm-7.0.2")
            ),
            ("/etc/ld.so.conf.d/rocm.conf", "/opt/rocm/lib64", None),
            ("/opt/rocm", "/opt/rocm", Some("/opt/rocm-7.0.2")),
        ]
    );
    assert!(p.env[3].resolved.is_absent());
    assert_eq!(p.mixed, ["/opt/rocm-6.2.4", "/opt/rocm-7.0.2"]);
    assert!(
        p.problems
            .iter()
            .any(|m| m.contains("different ROCm installs")
                && m.contains("LD_LIBRARY_PATH /opt/rocm-6.2.4/lib → /opt/rocm-6.2.4 (6.2.4-120)")),
        "{:?}",
        p.problems
    );
    assert!(p.problems.iter().any(|m| m.contains("/opt/rocm/lib64")));

    // Without the stray LD_LIBRARY_PATH nothing is mixed.
    let p = scenario("two-rocms", &[("ROCM_PATH", "/opt/rocm-7.0.2")]);
    assert!(p.mixed.is_empty(), "{:?}", p.mixed);
}

#[test]
fn bad_files_are_recorded_and_the_probe_goes_on() {
    let p = scenario("rx7900xtx", &[]);
    let i = install(&p, "/opt/rocm-6.4.0");
    assert!(
        matches!(&i.version, Observed::Unreadable(m) if m.contains("dangling")),
        "{:?}",
        i.version
    );
    let rb = i.components.rocblas_kernels.present().unwrap();
    assert_eq!(rb.broken, ["TensileLibrary_lazy_gfx1201.dat"]);
    // gfx1201 still has its other files.
    assert_eq!(rb.files_per_gfx["gfx1201"], 2);
    assert_eq!(
        i.device_libs[0].producer,
        Observed::Present("LLVM19.0.0git".into())
    );
    for want in [
        ".info/version: dangling",
        "TensileLibrary_lazy_gfx1201.dat is a dangling",
    ] {
        assert!(
            p.problems.iter().any(|m| m.contains(want)),
            "{want} not in {:?}",
            p.problems
        );
    }
}

#[test]
fn debian_distro_layout() {
    let p = scenario("rx6700xt-override", &[]);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert!(p.opt_rocm.is_absent());
    let i = install(&p, "/usr/lib/x86_64-linux-gnu");
    assert_eq!(i.layout, "debian");
    assert!(i.version.is_absent(), "no full version is guessed");
    assert_eq!(i.hip_soname_major, Some(5));
    assert!(i.components.miopen.is_absent());
    assert_eq!(
        i.components.rocblas_kernels.present().unwrap().path,
        "/usr/lib/x86_64-linux-gnu/rocblas/3.1.0/library"
    );
    let dl = &i.device_libs[0];
    assert_eq!(dl.producer, Observed::Present("LLVM15.0.5".into()));
    assert_eq!(dl.llvm_major, Some(15));
    assert!(i.llvm_majors.is_empty());
}

#[test]
fn fedora_layout() {
    let p = scenario("mi210-pair", &[]);
    let i = install(&p, "/usr/lib64");
    assert_eq!(i.layout, "fedora");
    assert_eq!(i.hip_soname_major, Some(6));
    assert_eq!(
        i.components.rocblas_kernels.present().unwrap().gfx,
        strs(&["gfx1030", "gfx1100", "gfx90a", "gfx942"])
    );
    assert!(i.device_libs.is_empty());
}

#[test]
fn nothing_installed() {
    let p = scenario("no-driver", &[("LD_LIBRARY_PATH", "/opt/rocm/lib")]);
    assert!(p.installs.is_empty());
    assert!(p.opt_rocm.is_absent());
    assert_eq!(p.env.len(), 1);
    assert!(p.env[0].install.is_none());
}
