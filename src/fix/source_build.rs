//! `source-build`: rocBLAS and MIOpen built from source at the tag of the installed ROCm, for
//! this GPU only (`GPU_TARGETS=<gfx>`), with a compiler whose LLVM major can read the install's
//! device libraries, installed under the output directory (never over the system's ROCm).

use super::shell::{quote, StepScript};
use super::{Ctx, Draft, FileOut, Step};
use crate::knowledge::gfx_support;
use crate::probe::rocm::RocmInstall;

/// rocBLAS's and MIOpen's own repositories, up to ROCm 6.x.
const ROCBLAS_REPO: &str = "https://github.com/ROCm/rocBLAS";
const MIOPEN_REPO: &str = "https://github.com/ROCm/MIOpen";
/// From ROCm 7.0 both live in the rocm-libraries monorepo (projects/rocblas, projects/miopen).
const MONOREPO: &str = "https://github.com/ROCm/rocm-libraries";
const SOURCES: [&str; 5] = [
    "https://github.com/ROCm/rocBLAS/blob/c6de03451d56f2d5997de4c1abb1cd81fb3cfd7c/docs/install/Linux_Install_Guide.rst",
    "https://github.com/ROCm/MIOpen/blob/d62f77307968e63a9c0b5c1688a2927a1410510c/README.md",
    "https://github.com/ROCm/MIOpen/blob/1f1f4c1867160ec6029812c8e5520612bd58cac8/docs/install/build-source.rst",
    "https://github.com/ROCm/rocm-libraries/blob/fc9c779cc2293978d7fa814b92e29050d057c0d7/projects/rocblas/CMakeLists.txt",
    "https://github.com/ROCm/rocm-libraries/pull/921",
];

/// The install to build against: what /opt/rocm leads to, else the first AMD-layout install.
fn pick_install<'a>(ctx: &Ctx<'a>) -> Option<(&'a RocmInstall, String)> {
    let r = &ctx.snapshot.rocm;
    let opt = r.opt_rocm.present();
    let inst = r
        .installs
        .iter()
        .find(|i| Some(&i.path) == opt)
        .or_else(|| r.installs.iter().find(|i| i.layout == "opt"))?;
    // `.info/version` (`7.0.2-56`), else the directory name (`/opt/rocm-6.4.0`).
    let v = inst
        .version
        .present()
        .map(|v| v.split('-').next().unwrap_or(v).to_owned())
        .or_else(|| {
            inst.path
                .rsplit('/')
                .next()?
                .strip_prefix("rocm-")
                .map(str::to_owned)
        })?;
    gfx_support::rocm_line(&v).map(|_| (inst, v))
}

/// The source-build solution.
/// Building rocBLAS and MIOpen for one target takes hours on a desktop; a step past this is
/// taken to be stuck.
const BUILD_TIMEOUT_SECS: u64 = 8 * 3600;

pub(crate) fn draft(ctx: &Ctx) -> anyhow::Result<Draft> {
    let summary = "rocBLAS and MIOpen built from source for this GPU against the installed ROCm";
    let sources: Vec<String> = SOURCES.iter().map(|s| s.to_string()).collect();
    let Some(gfx) = ctx.gfx.as_deref() else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The scan saw no AMD GPU with a known gfx target.".into()],
            sources,
        ));
    };
    let Some((inst, version)) = pick_install(ctx) else {
        return Ok(Draft::not_applicable(
            summary,
            vec!["The scan found no AMD-layout ROCm install (`/opt/rocm-X.Y.Z`) with a known version to build against. Install one first (`rocm-doctor fix packages`), or build inside a ROCm container.".into()],
            sources,
        ));
    };
    let line = gfx_support::rocm_line(&version).unwrap_or_default();
    let release_llvm = crate::knowledge::rocm::releases()
        .iter()
        .find(|r| r.rocm == line)
        .map(|r| r.llvm);
    let need = inst
        .device_libs
        .iter()
        .filter_map(|d| d.llvm_major)
        .max()
        .or(release_llvm)
        .unwrap_or(0);
    let cxx = if inst.llvm_majors.iter().any(|m| *m >= need) {
        format!("{}/llvm/bin/clang++", inst.path)
    } else {
        ctx.snapshot
            .toolchains
            .iter()
            .filter(|t| t.major >= need)
            .min_by_key(|t| t.major)
            .map(|t| format!("{}/bin/clang++", t.path.display()))
            .unwrap_or_default()
    };
    let mono = line
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0)
        >= 7;
    let tag = format!("rocm-{version}");
    let rdna1 = gfx_support::target(gfx).is_some_and(|t| t.family == "RDNA1");
    let common = |extra: &[&str]| -> Vec<String> {
        let mut v = vec![
            "-DCMAKE_BUILD_TYPE=Release".to_owned(),
            format!("-DROCM_PATH={}", inst.path),
            format!("-DGPU_TARGETS={gfx}"),
            format!("-DAMDGPU_TARGETS={gfx}"),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let mut rocblas_args = common(&[
        "-DBUILD_CLIENTS_TESTS=OFF",
        "-DBUILD_CLIENTS_BENCHMARKS=OFF",
        "-DBUILD_CLIENTS_SAMPLES=OFF",
    ]);
    let mut miopen_args = common(&["-DMIOPEN_BACKEND=HIP", "-DMIOPEN_BUILD_DRIVER=ON"]);
    if rdna1 {
        // TheRock leaves hipBLASLt and composable_kernel out for gfx101X (knowledge row).
        rocblas_args.push("-DBUILD_WITH_HIPBLASLT=OFF".into());
        miopen_args.push("-DMIOPEN_USE_COMPOSABLEKERNEL=OFF".into());
    }
    let libs = [
        (
            "rocblas",
            "librocblas.so",
            if mono {
                (
                    MONOREPO,
                    "projects/rocblas",
                    "projects/rocblas shared/tensile",
                )
            } else {
                (ROCBLAS_REPO, "", "")
            },
            rocblas_args,
        ),
        (
            "miopen",
            "libMIOpen.so",
            if mono {
                (MONOREPO, "projects/miopen", "projects/miopen")
            } else {
                (MIOPEN_REPO, "", "")
            },
            miopen_args,
        ),
    ];
    let mut files = Vec::new();
    let mut steps = Vec::new();
    for (name, lib, (repo, subdir, sparse), args) in libs {
        let title = format!("build {name} {tag} for {gfx} into ./install");
        let vars = [
            ("NAME", name.to_owned()),
            ("LIB", lib.to_owned()),
            ("REPO", repo.to_owned()),
            ("TAG", tag.clone()),
            ("SUBDIR", subdir.to_owned()),
            ("SPARSE", sparse.to_owned()),
            ("GFX", gfx.to_owned()),
            ("ROCM", inst.path.clone()),
            ("CXX_BIN", cxx.clone()),
            ("LLVM_MIN", need.to_string()),
        ];
        let quoted: Vec<String> = args.iter().map(|a| format!("  {}", quote(a))).collect();
        let body = format!("rd_cmake_args=(\n{}\n)\n{BUILD_BODY}", quoted.join("\n"));
        let script = StepScript {
            title: &title,
            about: &[format!("Compiler: {} (its LLVM major must be at least {need}, the device libraries' producer). CXX=/path/to/clang++ overrides it.", if cxx.is_empty() { "none found by the scan" } else { &cxx })],
            sources: &sources,
            vars: &vars,
            body: &body,
        }
        .render();
        let file = format!("build-{name}.sh");
        files.push(FileOut {
            name: file.clone(),
            text: script,
            exec: true,
        });
        steps.push(Step {
            script: file,
            title,
            root: false,
            timeout_secs: BUILD_TIMEOUT_SECS,
        });
    }
    let mut env_sh = super::shell::header(
        "Use the libraries built here: `source env.sh`, or `./env.sh COMMAND...`",
        &[
            "Options are set only when run as a command, so sourcing it leaves your shell alone."
                .into(),
        ],
        &sources,
    );
    env_sh.push_str(ENV_TAIL);
    env_sh.push_str(super::shell::ENV_EXEC_TAIL);
    files.push(FileOut {
        name: "env.sh".into(),
        text: env_sh,
        exec: true,
    });
    let repo_note = if mono {
        format!("From ROCm 7.0 both libraries live in <{MONOREPO}> (`projects/rocblas`, `projects/miopen`); the scripts fetch only those directories at tag `{tag}`.")
    } else {
        format!("The scripts clone <{ROCBLAS_REPO}> and <{MIOPEN_REPO}> at tag `{tag}`.")
    };
    let readme = vec![
        format!("Builds against ROCm {version} at `{}`, for {gfx} only. {repo_note} Each script checks that the tag exists before cloning.", inst.path),
        format!("Compiler: `{}`. The install's device libraries were written by LLVM {need}; a compiler older than that cannot read them, so the scripts check `clang++ -dumpversion` first.", if cxx.is_empty() { "(none found: set CXX)" } else { &cxx }),
        "Everything goes under this directory: `src/` (sources), `build/`, `install/` (the libraries). Nothing in the system's ROCm is replaced. `env.sh` puts `install/lib` first on `LD_LIBRARY_PATH`.".into(),
    ];
    let caveats = vec![
        "Builds take hours and need tens of GB of disk; rocBLAS's guide asks for a lot of RAM (set JOBS= to limit parallel jobs).".to_owned(),
        "MIOpen needs its dependencies (`cmake -P install_deps.cmake --minimum`, run by the script into `deps/`) and network access for them.".to_owned(),
        "PyTorch wheels load their own bundled rocBLAS/MIOpen; these builds serve programs that use the system ROCm.".to_owned(),
    ];
    Ok(Draft {
        applicable: true,
        summary: summary.to_owned(),
        files,
        steps,
        readme,
        caveats,
        sources,
        undo: Vec::new(),
        outside: false,
    })
}

const BUILD_BODY: &str = r#"rd_src="$here/src/$NAME"
rd_build="$here/build/$NAME"
rd_prefix="$here/install"
rd_stamp="$rd_prefix/.rocm-doctor-$NAME"
rd_cxx="${CXX:-$CXX_BIN}"

rd_done() {
  rd_has "$rd_stamp" "$TAG $GFX" && compgen -G "$rd_prefix/lib*/$LIB*" >/dev/null
}

rd_plan() {
  rd_say "would check that $REPO has the tag $TAG, then clone it into $rd_src${SPARSE:+ (only $SPARSE)}"
  rd_say "would configure with $rd_cxx (LLVM >= $LLVM_MIN), GPU_TARGETS=$GFX, ROCm at $ROCM:"
  printf '  %s\n' "${rd_cmake_args[@]}"
  rd_say "would build and install into $rd_prefix"
}

rd_act() {
  [[ -x "$rd_cxx" ]] || rd_die "no compiler at '$rd_cxx': set CXX=/path/to/clang++ (LLVM $LLVM_MIN or newer)"
  local major
  major="$("$rd_cxx" -dumpversion | cut -d. -f1)"
  [[ "$major" -ge "$LLVM_MIN" ]] || rd_die "$rd_cxx is LLVM $major; the device libraries need $LLVM_MIN or newer"
  if [[ ! -d "$rd_src/.git" ]]; then
    git ls-remote --exit-code --tags "$REPO" "refs/tags/$TAG" >/dev/null || rd_die "$REPO has no tag $TAG"
    if [[ -n "$SPARSE" ]]; then
      git clone --filter=blob:none --no-checkout --depth 1 --branch "$TAG" "$REPO" "$rd_src"
      # shellcheck disable=SC2086 # SPARSE is a list of directories without spaces
      git -C "$rd_src" sparse-checkout set $SPARSE
      git -C "$rd_src" checkout
    else
      git clone --depth 1 --branch "$TAG" "$REPO" "$rd_src"
    fi
  fi
  local top="$rd_src${SUBDIR:+/$SUBDIR}" prefix_path="$ROCM;$rd_prefix"
  if [[ "$NAME" == miopen && -f "$top/install_deps.cmake" ]]; then
    cmake -P "$top/install_deps.cmake" --minimum --prefix "$here/deps"
    prefix_path="$prefix_path;$here/deps"
  fi
  CXX="$rd_cxx" cmake -S "$top" -B "$rd_build" "${rd_cmake_args[@]}" \
    -DCMAKE_CXX_COMPILER="$rd_cxx" -DCMAKE_INSTALL_PREFIX="$rd_prefix" \
    -DCMAKE_PREFIX_PATH="$prefix_path"
  cmake --build "$rd_build" --parallel "${JOBS:-$(nproc)}"
  cmake --install "$rd_build"
  printf '%s\n' "$TAG $GFX" >"$rd_stamp"
}"#;

const ENV_TAIL: &str = r#"if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then set -euo pipefail; fi
rd_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LD_LIBRARY_PATH="$rd_here/install/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"#;
