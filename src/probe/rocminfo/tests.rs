//! The parser against real pastes (fixtures/rocminfo/, see SOURCES.md there) and against
//! synthetic damage. Expected values are typed from reading each fixture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/rocminfo/{name}", env!("CARGO_MANIFEST_DIR"));
    String::from_utf8(std::fs::read(&path).expect(&path)).expect("fixture is UTF-8")
}

/// One GPU as read: (gfx target, marketing name, compute units, PCI id, node).
type Gpu = (
    &'static str,
    Option<&'static str>,
    Option<u32>,
    Option<&'static str>,
    Option<u32>,
);

struct Expect {
    file: &'static str,
    format: Format,
    agents: usize,
    gpus: &'static [Gpu],
    complete: bool,
    overridden: usize,
}

const MI210: Gpu = (
    "gfx90a",
    Some("AMD Instinct MI210"),
    Some(104),
    Some("0x740f"),
    None,
);

const FIXTURES: &[Expect] = &[
    Expect {
        file: "gfx1010-rx5700xt-rocm4.0.1.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1010",
            Some("Navi 10 [Radeon RX 5600 OEM/5600 XT / 5700/5700 XT]"),
            Some(40),
            Some("0x731f"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx1010-rx5600xt-rocm5.1.3-padded.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1010",
            Some("AMD Radeon RX 5600 XT"),
            Some(36),
            Some("0x731f"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx1031-rx6700xt-rocm5.6.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1031",
            Some("AMD Radeon RX 6700 XT"),
            Some(40),
            Some("0x73df"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx1032-rx6600m-igpu-overridden-gfx1030-rocm5.7.1.txt",
        format: Format::Rocminfo,
        agents: 3,
        gpus: &[
            (
                "gfx1030",
                Some("AMD Radeon RX 6600M"),
                Some(28),
                Some("0x73ff"),
                Some(1),
            ),
            (
                "gfx1030",
                Some("AMD Radeon Graphics"),
                Some(8),
                Some("0x1638"),
                Some(2),
            ),
        ],
        complete: true,
        // Both: the RX 6600M (0x73ff, gfx1032) and the iGPU (0x1638, gfx90c).
        overridden: 2,
    },
    Expect {
        file: "gfx1100-rx7900xtx-rocm6.2.2.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1100",
            Some("Radeon RX 7900 XTX"),
            Some(96),
            Some("0x744c"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx1100-2x7900xtx-igpu-grep-rocm7.2.1.txt",
        format: Format::Rocminfo,
        agents: 4,
        gpus: &[
            ("gfx1100", Some("Radeon RX 7900 XTX"), None, None, None),
            ("gfx1100", Some("Radeon RX 7900 XTX"), None, None, None),
            ("gfx1100", Some("AMD Radeon Graphics"), None, None, None),
        ],
        complete: false,
        overridden: 0,
    },
    Expect {
        file: "gfx1201-rx9070xt-rocm7.2.4.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1201",
            Some("AMD Radeon RX 9070 XT"),
            Some(64),
            Some("0x7550"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx1200-rx9060xt-overridden-gfx1100-truncated.txt",
        format: Format::Rocminfo,
        agents: 1,
        gpus: &[(
            "gfx1100",
            Some("AMD Radeon RX 9060 XT"),
            Some(32),
            Some("0x7590"),
            Some(1),
        )],
        complete: true,
        overridden: 1,
    },
    Expect {
        file: "gfx1103-780m-rocm5.7.0.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1103",
            Some("AMD Radeon Graphics"),
            Some(12),
            Some("0x15bf"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx1103-780m-rocm6.4.3-elided.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[("gfx1103", Some("AMD Radeon Graphics"), None, None, None)],
        complete: false,
        overridden: 0,
    },
    Expect {
        file: "gfx1151-strix-halo-8060s-rocm7.11-nightly.txt",
        format: Format::Rocminfo,
        agents: 2,
        gpus: &[(
            "gfx1151",
            Some("Radeon 8060S Graphics"),
            Some(40),
            Some("0x1586"),
            Some(1),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "gfx90a-4xmi210-rocm6.2.4-tmux.txt",
        format: Format::Rocminfo,
        agents: 5,
        gpus: &[MI210, MI210, MI210, MI210],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "smi-gfx1100-7900xtx-showproductname.txt",
        format: Format::RocmSmi,
        agents: 1,
        gpus: &[(
            "gfx1100",
            Some("Radeon RX 7900 XTX"),
            None,
            Some("0x744c"),
            Some(2),
        )],
        complete: true,
        overridden: 0,
    },
    Expect {
        file: "smi-gfx1100-w7900-gfx1036-raphael-showproductname.txt",
        format: Format::RocmSmi,
        agents: 2,
        gpus: &[
            ("gfx1100", None, None, Some("0x7448"), Some(1)),
            ("gfx1036", None, None, Some("0x164e"), Some(2)),
        ],
        complete: true,
        overridden: 0,
    },
];

fn overridden(r: &RocminfoReport) -> usize {
    r.warnings
        .iter()
        .filter(|w| w.contains("may be overridden"))
        .count()
}

fn gpus(r: &RocminfoReport) -> Vec<&Agent> {
    r.agents
        .iter()
        .filter(|a| a.device_type == DeviceType::Gpu)
        .collect()
}

#[test]
fn every_fixture_reads_as_expected() {
    for e in FIXTURES {
        let r = parse(&fixture(e.file));
        assert_eq!(r.format, e.format, "{}", e.file);
        assert_eq!(r.agents.len(), e.agents, "{}: {:#?}", e.file, r.agents);
        assert_eq!(r.complete, e.complete, "{}", e.file);
        assert_eq!(overridden(&r), e.overridden, "{}: {:?}", e.file, r.warnings);
        let got = gpus(&r);
        assert_eq!(got.len(), e.gpus.len(), "{}", e.file);
        for (a, &(gfx, market, cu, pci, node)) in got.iter().zip(e.gpus) {
            assert_eq!(a.gfx_target.as_deref(), Some(gfx), "{}", e.file);
            assert_eq!(a.marketing_name.as_deref(), market, "{}", e.file);
            assert_eq!(a.compute_units, cu, "{}", e.file);
            assert_eq!(a.pci_device_id.as_deref(), pci, "{}", e.file);
            if node.is_some() {
                assert_eq!(a.node, node, "{}", e.file);
            }
        }
        assert!(r.errors.len() <= 1, "{}: {:?}", e.file, r.errors);
    }
}

#[test]
fn every_fixture_file_is_in_the_table() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rocminfo");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    files.sort();
    let mut listed: Vec<&str> = FIXTURES.iter().map(|e| e.file).collect();
    listed.sort_unstable();
    assert_eq!(files, listed);
    let sources = std::fs::read_to_string(format!("{dir}/SOURCES.md")).unwrap();
    for f in &files {
        assert!(sources.contains(f.as_str()), "{f} is not in SOURCES.md");
    }
}

#[test]
fn system_attributes_and_module() {
    let r = parse(&fixture("gfx1100-rx7900xtx-rocm6.2.2.txt"));
    assert_eq!(r.kfd_module.as_deref(), Some("6.8.5"));
    assert_eq!(r.runtime_version.as_deref(), Some("1.14"));
    assert_eq!(r.runtime_ext_version.as_deref(), Some("1.6"));
    assert_eq!(r.xnack_enabled, None);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let cpu = &r.agents[0];
    assert_eq!(cpu.device_type, DeviceType::Cpu);
    assert_eq!(cpu.name, "AMD Ryzen 7 7800X3D 8-Core Processor");
    assert_eq!(cpu.vendor.as_deref(), Some("CPU"));
    assert_eq!(cpu.uuid.as_deref(), Some("CPU-XX"));
    assert_eq!(cpu.pci_device_id, None);
    assert_eq!(cpu.compute_units, Some(16));
    let gpu = &r.agents[1];
    assert_eq!(gpu.uuid.as_deref(), Some("GPU-dd12161dec38e7a2"));
    assert_eq!(gpu.pool_sizes_kb, vec![25_149_440, 25_149_440, 64]);
    assert_eq!(gpu.isa, vec!["amdgcn-amd-amdhsa--gfx1100".to_owned()]);

    let r = parse(&fixture("gfx1201-rx9070xt-rocm7.2.4.txt"));
    assert_eq!(r.kfd_module.as_deref(), Some("loaded"));
    assert_eq!(r.runtime_ext_version.as_deref(), Some("1.15"));
    assert_eq!(r.xnack_enabled, Some(false));
    assert_eq!(r.agents[1].isa.len(), 2, "gfx1201 and gfx12-generic");
}

#[test]
fn old_rocm_4_format() {
    let r = parse(&fixture("gfx1010-rx5700xt-rocm4.0.1.txt"));
    assert_eq!(r.runtime_version.as_deref(), Some("1.1"));
    assert_eq!(r.runtime_ext_version, None);
    assert_eq!(r.agents[0].pool_sizes_kb, vec![98_827_196, 98_827_196]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn features_come_from_the_isa() {
    let r = parse(&fixture("gfx90a-4xmi210-rocm6.2.4-tmux.txt"));
    for gpu in gpus(&r) {
        assert_eq!(gpu.xnack, Some(false));
        assert_eq!(gpu.sramecc, Some(true));
        assert_eq!(
            gpu.pool_sizes_kb,
            vec![67_092_480, 67_092_480, 67_092_480, 64]
        );
    }
    let nodes: Vec<_> = gpus(&r).iter().map(|a| a.node).collect();
    assert_eq!(nodes, vec![Some(1), Some(2), Some(3), Some(4)]);
    assert!(
        r.warnings.is_empty(),
        "tmux markers are padding: {:?}",
        r.warnings
    );

    let r = parse(&fixture("gfx1010-rx5600xt-rocm5.1.3-padded.txt"));
    assert_eq!(r.agents[1].xnack, Some(false));
    assert_eq!(r.agents[1].sramecc, None);
}

#[test]
fn overrides_are_flagged_with_their_evidence() {
    let r = parse(&fixture(
        "gfx1032-rx6600m-igpu-overridden-gfx1030-rocm5.7.1.txt",
    ));
    let w: Vec<_> = r
        .warnings
        .iter()
        .filter(|w| w.contains("overridden"))
        .collect();
    assert_eq!(w.len(), 2);
    assert!(
        w[0].contains("0x73ff") && w[0].contains("gfx1032"),
        "{}",
        w[0]
    );
    assert!(
        w[1].contains("0x1638") && w[1].contains("gfx90c"),
        "{}",
        w[1]
    );

    let r = parse(&fixture(
        "gfx1200-rx9060xt-overridden-gfx1100-truncated.txt",
    ));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("RX 9060 XT") && w.contains("gfx1200")));
    assert!(r.warnings.iter().any(|w| w.contains("Agent 2")));
    assert!(r.warnings.iter().any(|w| w.contains("middle of an agent")));
    assert_eq!(r.errors, vec!["amd-smi: command not found".to_owned()]);
}

#[test]
fn filtered_output_without_headers() {
    let r = parse(&fixture("gfx1100-2x7900xtx-igpu-grep-rocm7.2.1.txt"));
    assert_eq!(r.agents[0].device_type, DeviceType::Cpu);
    assert!(r.agents.iter().all(|a| a.number.is_none()));
    assert_eq!(r.agents[1].isa.len(), 2);
}

#[test]
fn rocm_smi_five_digit_gfx() {
    let r = parse(&fixture(
        "smi-gfx1100-w7900-gfx1036-raphael-showproductname.txt",
    ));
    assert_eq!(r.agents[0].name, "gfx1100", "gfx11000 read back");
    assert_eq!(
        r.agents[1].vendor.as_deref(),
        Some("Advanced Micro Devices, Inc. [AMD/ATI]")
    );
}

// ---- synthetic damage ----

#[test]
fn crlf_and_bare_cr_read_like_lf() {
    let lf = fixture("gfx1031-rx6700xt-rocm5.6.txt");
    let want = parse(&lf);
    assert_eq!(parse(&lf.replace('\n', "\r\n")), want);
    assert_eq!(parse(&lf.replace('\n', "\r")), want);
}

#[test]
fn padding_stripped_and_unpadded_agree() {
    let padded = fixture("gfx1010-rx5600xt-rocm5.1.3-padded.txt");
    let trimmed: String = padded
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    assert_eq!(parse(&trimmed), parse(&padded));
    let r = parse(&padded);
    assert_eq!(r.agents[0].name, "AMD Ryzen 5 3600X 6-Core Processor");
}

#[test]
fn fences_quotes_timestamps_and_escapes_are_peeled() {
    let plain = fixture("gfx1151-strix-halo-8060s-rocm7.11-nightly.txt");
    let want = parse(&plain);
    let quoted: String = plain.lines().map(|l| format!("> {l}\n")).collect();
    assert_eq!(parse(&format!("```\n{quoted}```\n")), want);
    let email: String = plain.lines().map(|l| format!(">>>> {l}\n")).collect();
    assert_eq!(parse(&email), want);
    let stamped: String = plain
        .lines()
        .map(|l| format!("2025-12-26T16:06:31.1234567Z {l}\n"))
        .collect();
    assert_eq!(parse(&stamped), want);
    let bracketed: String = plain.lines().map(|l| format!("[16:06:31] {l}\n")).collect();
    assert_eq!(parse(&bracketed), want);
    let colored = plain.replace("gfx1151", "\u{1b}[1;32mgfx1151\u{1b}[0m");
    assert_eq!(parse(&colored), want);
    let details =
        format!("<details>\n<summary>rocminfo</summary>\n\n```\n{plain}```\n</details>\n");
    assert_eq!(parse(&details), want);
}

#[test]
fn truncated_anywhere_never_panics_and_says_so() {
    let full = fixture("gfx90a-4xmi210-rocm6.2.4-tmux.txt");
    let mut cut = 0;
    while cut < full.len() {
        let head = full.get(..cut).unwrap_or("");
        let r = parse(head);
        assert!(r.agents.len() <= 5);
        if !head.is_empty() && !head.contains("*** Done ***") {
            assert!(!r.complete);
            assert!(!r.warnings.is_empty());
        }
        let tail = full.get(cut..).unwrap_or("");
        let _ = parse(tail);
        cut += 97;
    }
}

#[test]
fn empty_and_garbage() {
    let r = parse("");
    assert!(r.agents.is_empty());
    assert_eq!(r.format, Format::Unknown);
    assert_eq!(r.warnings, vec!["no HSA agents found".to_owned()]);

    let mut state: u32 = 0x1234_5678;
    let mut bytes = Vec::with_capacity(64 * 1024);
    for _ in 0..64 * 1024 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        bytes.push((state >> 24) as u8);
    }
    let r = parse_bytes(&bytes);
    assert!(
        r.warnings.len() <= MAX_LINE_WARNINGS + 2,
        "{}",
        r.warnings.len()
    );

    let mut mixed = fixture("gfx1103-780m-rocm5.7.0.txt").into_bytes();
    mixed.splice(3000..3000, bytes.iter().copied().take(500));
    let _ = parse_bytes(&mixed);
    let _ = parse("Name:\nName: \u{0}\nChip ID: (0x\nChip ID: 99999999999999999999\nSize: 1(");
}

#[test]
fn name_and_isa_disagreeing_is_flagged() {
    let text = "Agent 2\n  Name: gfx1030\n  Device Type: GPU\n  ISA Info:\n    ISA 1\n      Name: amdgcn-amd-amdhsa--gfx1032\n*** Done ***\n";
    let r = parse(text);
    assert_eq!(r.agents[0].gfx_target.as_deref(), Some("gfx1030"));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("the ISA says gfx1032")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn npu_agent_is_other() {
    let text = "Agent 3\n  Name:                    aie2p\n  Marketing Name:          NPU Strix Halo\n  Vendor Name:             AMD\n  Device Type:             DSP\n*** Done ***\n";
    let r = parse(text);
    assert_eq!(r.agents[0].device_type, DeviceType::Other("DSP".to_owned()));
    assert_eq!(r.agents[0].gfx_target, None);
}

#[test]
fn rocminfo_failures_are_errors() {
    let text = "ROCk module is NOT loaded, possibly no GPU devices\nUnable to open /dev/kfd read-write: Permission denied\nFailed to get user name to check for video group membership\nhsa api call failure at: /src/rocminfo/rocminfo.cc:1306\nCall returned HSA_STATUS_ERROR_OUT_OF_RESOURCES: The runtime failed to allocate the necessary resources.\n";
    let r = parse(text);
    assert_eq!(r.errors.len(), 5, "{:?}", r.errors);
    assert!(r.agents.is_empty());
}

#[test]
fn amd_smi_static() {
    // Shape as printed by `amd-smi static` (keys and indentation); values typed here.
    let text = "GPU: 0\n    ASIC:\n        MARKET_NAME: AMD Radeon RX 9070 XT\n        VENDOR_ID: 0x1002\n        DEVICE_ID: 0x7550\n        NUM_COMPUTE_UNITS: 64\n        TARGET_GRAPHICS_VERSION: gfx1201\n    BUS:\n        BDF: 0000:03:00.0\nGPU: 1\n    ASIC:\n        MARKET_NAME: N/A\n        DEVICE_ID: 0x744C\n        TARGET_GRAPHICS_VERSION: gfx1030\n";
    let r = parse(text);
    assert_eq!(r.format, Format::AmdSmi);
    assert_eq!(r.agents.len(), 2);
    assert_eq!(r.agents[0].gfx_target.as_deref(), Some("gfx1201"));
    assert_eq!(r.agents[0].compute_units, Some(64));
    assert_eq!(r.agents[1].marketing_name, None);
    assert_eq!(r.agents[1].pci_device_id.as_deref(), Some("0x744c"));
    assert_eq!(overridden(&r), 1, "0x744c is a gfx1100: {:?}", r.warnings);
}

#[test]
fn marketing_and_pci_tables() {
    assert_eq!(
        ids::gfx_for_marketing_name("AMD Radeon RX 6700 XT"),
        Some("gfx1031")
    );
    assert_eq!(
        ids::gfx_for_marketing_name("Radeon RX 7900 XTX"),
        Some("gfx1100")
    );
    assert_eq!(
        ids::gfx_for_marketing_name("AMD Radeon 780M Graphics"),
        Some("gfx1103")
    );
    assert_eq!(ids::gfx_for_marketing_name("AMD Radeon Graphics"), None);
    assert_eq!(
        ids::gfx_for_marketing_name("AMD Radeon RX 6700 XT Extreme"),
        None
    );
    assert_eq!(ids::gfx_for_pci_id("0x73BF"), Some("gfx1030"));
    assert_eq!(ids::gfx_for_pci_id("0x0000"), None);
    assert_eq!(ids::gfx_for_pci_id("73bf"), None);
}
