//! The Python probe on the fake machines under tests/fixtures/roots/, and on trees built here.

use std::path::{Path, PathBuf};

use rocm_doctor::probe::python::{probe, EnvKind, Flavour, PythonEnv, PythonProbe, Torch};
use rocm_doctor::root::Root;
use rocm_doctor::snapshot::Observed;

fn scenario(name: &str) -> PythonProbe {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/roots")
        .join(name);
    assert!(dir.is_dir(), "{} missing", dir.display());
    run(&dir)
}

fn run(dir: &Path) -> PythonProbe {
    let p = probe(&Root::new(dir));
    serde_json::to_string(&p).expect("serializable");
    p
}

fn env<'a>(p: &'a PythonProbe, prefix: &str) -> &'a PythonEnv {
    p.environments
        .iter()
        .find(|e| e.prefix == prefix)
        .unwrap_or_else(|| panic!("no env {prefix} in {:#?}", p.environments))
}

fn torch(e: &PythonEnv) -> &Torch {
    e.site_packages
        .iter()
        .find_map(|s| s.torch.present())
        .unwrap_or_else(|| panic!("no torch in {}", e.prefix))
}

fn lib_targets(t: &Torch, name: &str) -> Vec<String> {
    let libs = t.libs.present().unwrap();
    let l = libs
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("{name} not in {libs:?}"));
    l.targets.present().unwrap().clone()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const WHEEL_TARGETS: &[&str] = &[
    "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100",
];

#[test]
fn rx5600xt_venv_torch_without_gfx1010() {
    let p = scenario("rx5600xt-rocm702");
    assert!(p.problems.is_empty(), "{:?}", p.problems);

    let sys = env(&p, "/usr");
    assert_eq!(sys.kind, EnvKind::System);
    assert_eq!(sys.site_packages[0].path, "/usr/lib/python3/dist-packages");
    assert!(sys.site_packages[0].torch.is_absent());
    assert_eq!(sys.site_packages[0].python_version.as_deref(), Some("3.12"));
    assert_eq!(sys.python_version.as_deref(), Some("3.12"));

    let venv = env(&p, "/home/user/venv");
    assert_eq!(venv.kind, EnvKind::Venv);
    assert_eq!(venv.python_version.as_deref(), Some("3.12.3"));
    let cfg = venv.pyvenv_cfg.as_ref().unwrap().present().unwrap();
    assert_eq!(cfg["home"], "/usr/bin");
    assert_eq!(venv.site_packages.len(), 1);
    assert_eq!(
        venv.site_packages[0].python_version.as_deref(),
        Some("3.12")
    );

    let t = torch(venv);
    let v = t.version_py.present().unwrap();
    assert_eq!(v.version, "2.5.1+rocm6.2");
    assert_eq!(v.hip.as_deref(), Some("6.2.41133-dd7f95766"));
    assert_eq!(v.cuda, None);
    assert_eq!(v.rocm_label(), Some("6.2"));
    assert_eq!(t.flavour, Some(Flavour::Rocm));

    // Bundled ROCm libraries, by component; libgomp is neither ROCm nor GPU code.
    let libs = t.libs.present().unwrap();
    let comps: Vec<(&str, Option<&str>)> = libs
        .iter()
        .map(|l| (l.name.as_str(), l.component.as_deref()))
        .collect();
    assert_eq!(
        comps,
        vec![
            ("libMIOpen.so", Some("miopen")),
            ("libamdhip64.so", Some("hip-runtime")),
            ("libhsa-runtime64.so", Some("hsa-runtime")),
            ("librocblas.so", Some("rocblas")),
            ("libtorch_hip.so", Some("torch-hip")),
        ]
    );
    assert_eq!(lib_targets(t, "libamdhip64.so"), Vec::<String>::new());
    assert_eq!(lib_targets(t, "libtorch_hip.so"), strs(WHEEL_TARGETS));
    assert_eq!(
        lib_targets(t, "librocblas.so"),
        strs(&["gfx1030", "gfx1100"])
    );
    assert_eq!(t.gpu_targets, strs(WHEEL_TARGETS));
    assert!(!t.gpu_targets.iter().any(|g| g.starts_with("gfx101")));
    assert_eq!(t.rocblas_targets, Observed::Present(strs(WHEEL_TARGETS)));
    assert!(t.hipblaslt_targets.is_absent());

    let pk = venv.site_packages[0].packages.present().unwrap();
    let names: Vec<(Option<&str>, Option<&str>)> = pk
        .iter()
        .map(|d| {
            let m = d.metadata.present().unwrap();
            (m.name.as_deref(), m.version.as_deref())
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (Some("pytorch-triton-rocm"), Some("3.1.0")),
            (Some("torch"), Some("2.5.1+rocm6.2")),
        ]
    );
}

#[test]
fn rx6700xt_system_torch() {
    let p = scenario("rx6700xt-override");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert!(p.environments.iter().all(|e| e.kind == EnvKind::System));
    let local = env(&p, "/usr/local");
    assert_eq!(local.python_version.as_deref(), Some("3.10"));
    assert_eq!(
        local.site_packages[0].path,
        "/usr/local/lib/python3.10/dist-packages"
    );
    let t = torch(local);
    let v = t.version_py.present().unwrap();
    assert_eq!(v.version, "2.4.1+rocm6.0");
    assert_eq!(v.hip.as_deref(), Some("6.0.32830-d62f6a171"));
    assert_eq!(t.flavour, Some(Flavour::Rocm));
    assert_eq!(t.gpu_targets, strs(WHEEL_TARGETS));
    assert!(!t.gpu_targets.contains(&"gfx1031".to_string()));
    assert!(t.rocblas_targets.is_absent());
}

#[test]
fn scenarios_without_python_find_nothing() {
    let p = scenario("no-driver");
    assert!(p.environments.is_empty(), "{:?}", p.environments);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
}

fn write(base: &Path, rel: &str, data: &[u8]) {
    let p = base.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn venv(base: &Path, dir: &str, py: &str, version_py: Option<&str>) {
    write(
        base,
        &format!("{dir}/pyvenv.cfg"),
        format!("home = /usr/bin\nversion_info = {py}.final.0\n").as_bytes(),
    );
    let minor: Vec<&str> = py.split('.').take(2).collect();
    let sp = format!("{dir}/lib/python{}/site-packages", minor.join("."));
    match version_py {
        Some(v) => write(base, &format!("{sp}/torch/version.py"), v.as_bytes()),
        None => std::fs::create_dir_all(base.join(&sp)).unwrap(),
    }
}

#[cfg(unix)]
#[test]
fn venvs_conda_and_bad_files() {
    let t = tempfile::tempdir().unwrap();
    let b = t.path();
    // Venvs at depths 1, 2, 3; one at depth 4 and one under a skipped hidden dir are not found.
    venv(b, "home/ann/venv", "3.11.9", None);
    venv(
        b,
        "home/ann/.venvs/cpu",
        "3.12.3",
        Some("__version__ = '2.4.1+cpu'\ncuda = None\nhip = None\n"),
    );
    venv(
        b,
        "home/ann/projects/llm/.venv",
        "3.12.3",
        Some("<!DOCTYPE html>\n<title>404</title>\n"),
    );
    venv(b, "home/ann/a/b/c/deep", "3.12.3", None);
    venv(b, "home/ann/.cache/x", "3.12.3", None);
    venv(b, "root/venv", "3.10.12", None);
    // A lib that is not an ELF file, in the depth-3 venv: recorded, the probe goes on.
    write(
        b,
        "home/ann/projects/llm/.venv/lib/python3.12/site-packages/torch/lib/libamdhip64.so",
        b"not an elf",
    );
    // Conda base and one env, with a CUDA torch.
    write(
        b,
        "home/bob/miniconda3/lib/python3.12/site-packages/six.py",
        b"",
    );
    write(
        b,
        "home/bob/miniconda3/envs/cu/lib/python3.11/site-packages/torch/version.py",
        b"__version__ = '2.5.1+cu124'\ncuda: Optional[str] = '12.4'\nhip: Optional[str] = None\n",
    );
    // /usr/lib64 -> lib is seen once.
    write(b, "usr/lib/python3.12/site-packages/x.py", b"");
    std::os::unix::fs::symlink("lib", b.join("usr/lib64")).unwrap();

    let p = run(b);
    let prefixes: Vec<(&str, EnvKind)> = p
        .environments
        .iter()
        .map(|e| (e.prefix.as_str(), e.kind))
        .collect();
    assert_eq!(
        prefixes,
        vec![
            ("/usr", EnvKind::System),
            ("/home/bob/miniconda3", EnvKind::Conda),
            ("/home/bob/miniconda3/envs/cu", EnvKind::Conda),
            ("/root/venv", EnvKind::Venv),
            ("/home/ann/.venvs/cpu", EnvKind::Venv),
            ("/home/ann/projects/llm/.venv", EnvKind::Venv),
            ("/home/ann/venv", EnvKind::Venv),
        ]
    );
    assert_eq!(env(&p, "/usr").site_packages.len(), 1);
    assert_eq!(
        env(&p, "/home/ann/venv").python_version.as_deref(),
        Some("3.11.9")
    );
    assert_eq!(
        torch(env(&p, "/home/ann/.venvs/cpu")).flavour,
        Some(Flavour::Cpu)
    );
    assert_eq!(
        torch(env(&p, "/home/bob/miniconda3/envs/cu")).flavour,
        Some(Flavour::Cuda)
    );

    let bad = torch(env(&p, "/home/ann/projects/llm/.venv"));
    assert!(
        matches!(bad.version_py, Observed::Malformed(_)),
        "{:?}",
        bad.version_py
    );
    assert_eq!(bad.flavour, None);
    let libs = bad.libs.present().unwrap();
    assert_eq!(libs.len(), 1);
    assert!(matches!(libs[0].targets, Observed::Malformed(_)));

    let problems = p.problems.join("\n");
    assert!(
        problems.contains("llm/.venv/lib/python3.12/site-packages/torch/version.py: malformed"),
        "{problems}"
    );
    assert!(
        problems.contains("libamdhip64.so: not an ELF file"),
        "{problems}"
    );
    // torch without version.py in the depth-1 venv? none there: the venv has no torch.
    assert!(env(&p, "/home/ann/venv").site_packages[0].torch.is_absent());
    assert_eq!(p.problems.len(), 2, "{problems}");
}
