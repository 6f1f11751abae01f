//! The `rocm-doctor` binary: parse flags, run the command, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = rocm_doctor::cli::parse();
    match rocm_doctor::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`rocm-doctor inspect … | head`) is not a failure.
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("rocm-doctor: {err:#}");
            ExitCode::from(rocm_doctor::cli::EXIT_TOOL_FAILED)
        }
    }
}
