//! AMD GPUs by PCI id, and the kernel's GC IP version → gfx target table (data/gpus.toml).
//!
//! The preferred source of a GPU's gfx target is KFD's `gfx_target_version`; this table names
//! what KFD does not say (marketing names, chip, family) and gives a gfx target when KFD is
//! missing (no driver, container without `/sys/class/kfd`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One PCI device id (optionally one revision of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuRow {
    /// PCI device id (vendor 0x1002), e.g. `0x73bf`.
    pub pci_id: u16,
    /// PCI revision this row is about; `None` = every revision of `pci_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u8>,
    /// gfx target (`gfx1030`), or `unknown`.
    pub gfx: String,
    /// Chip codename (`Navi 21 (Sienna Cichlid)`), or `unknown`.
    pub chip: String,
    /// `GCN5`, `CDNA`, `CDNA2`, `CDNA3`, `CDNA4`, `RDNA1`, `RDNA2`, `RDNA3`, `RDNA3.5`, `RDNA4`.
    pub family: String,
    /// Whether it is an integrated GPU; `None` where not established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apu: Option<bool>,
    /// Marketing names from libdrm's amdgpu.ids (empty if it has none).
    pub marketing: Vec<String>,
    /// How the row was derived, where that is not obvious from the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the row comes from.
    pub source: String,
}

/// One GC (graphics core) IP version and the `gfx_target_version` KFD gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcRow {
    /// GC IP version, `major.minor.revision` (`10.3.2`).
    pub gc: String,
    /// KFD's `gfx_target_version` (`100301`).
    pub gfx_target_version: u32,
    /// The gfx target (`gfx1031`).
    pub gfx: String,
    /// Caveats.
    #[serde(default)]
    pub note: Option<String>,
    /// Where the row comes from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    gpu: Vec<GpuRow>,
    gc: Vec<GcRow>,
}

fn data() -> &'static File {
    static DATA: OnceLock<File> = OnceLock::new();
    DATA.get_or_init(|| super::parse_embedded("gpus.toml", include_str!("data/gpus.toml")))
}

/// Every GPU row, in file order.
pub fn rows() -> &'static [GpuRow] {
    &data().gpu
}

/// Every GC IP row, in file order.
pub fn gc_rows() -> &'static [GcRow] {
    &data().gc
}

/// The row for a PCI device: the row for that exact revision if there is one, else the row
/// for the id as a whole. `None` if the id is not in the table.
pub fn lookup(pci_id: u16, revision: Option<u8>) -> Option<&'static GpuRow> {
    let rows = rows();
    revision
        .and_then(|r| {
            rows.iter()
                .find(|row| row.pci_id == pci_id && row.revision == Some(r))
        })
        .or_else(|| {
            rows.iter()
                .find(|row| row.pci_id == pci_id && row.revision.is_none())
        })
}

/// Rows (whole-id rows only) whose gfx target is `gfx`.
pub fn by_gfx(gfx: &str) -> Vec<&'static GpuRow> {
    rows()
        .iter()
        .filter(|r| r.revision.is_none() && r.gfx == gfx)
        .collect()
}

/// The family of a gfx target, if every row with that target agrees on one.
pub fn family_of_gfx(gfx: &str) -> Option<&'static str> {
    let mut fams = by_gfx(gfx).into_iter().map(|r| r.family.as_str());
    let first = fams.next()?;
    fams.all(|f| f == first).then_some(first)
}

/// The gfx target of a GC IP version (`(10, 3, 2)` → `gfx1031`).
pub fn gfx_for_gc(major: u32, minor: u32, revision: u32) -> Option<&'static GcRow> {
    let key = format!("{major}.{minor}.{revision}");
    gc_rows().iter().find(|r| r.gc == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILIES: &[&str] = &[
        "GCN5", "CDNA", "CDNA2", "CDNA3", "CDNA4", "RDNA1", "RDNA2", "RDNA3", "RDNA3.5", "RDNA4",
    ];

    #[test]
    fn every_row_has_a_source_and_a_known_family() {
        assert!(rows().len() >= 150);
        for r in rows() {
            assert!(r.source.starts_with("https://"), "{:#06x}", r.pci_id);
            assert!(FAMILIES.contains(&r.family.as_str()), "{:#06x}", r.pci_id);
            assert!(
                r.gfx == "unknown" || rocm_formats::gfx::GfxTarget::parse(&r.gfx).is_some(),
                "{:#06x}: {}",
                r.pci_id,
                r.gfx
            );
        }
        for r in gc_rows() {
            assert!(r.source.starts_with("https://"));
            assert_eq!(
                rocm_formats::gfx::from_kfd_gfx_target_version(r.gfx_target_version).as_deref(),
                Some(r.gfx.as_str()),
                "GC {}",
                r.gc
            );
        }
    }

    #[test]
    fn revision_rows_agree_with_their_id_row_and_ids_are_unique() {
        for (i, a) in rows().iter().enumerate() {
            for b in &rows()[i + 1..] {
                assert!(
                    !(a.pci_id == b.pci_id && a.revision == b.revision),
                    "duplicate {:#06x} {:?}",
                    a.pci_id,
                    a.revision
                );
            }
            if a.revision.is_some() {
                let whole = lookup(a.pci_id, None).expect("id row for a revision row");
                assert_eq!((&whole.gfx, &whole.family), (&a.gfx, &a.family));
                assert!(whole.marketing.contains(&a.marketing[0]));
            }
        }
    }

    #[test]
    fn lookups() {
        let r = lookup(0x731f, Some(0xca)).unwrap();
        assert_eq!(r.marketing, ["AMD Radeon RX 5600 XT"]);
        assert_eq!((r.gfx.as_str(), r.family.as_str()), ("gfx1010", "RDNA1"));
        let r = lookup(0x731f, Some(0x01)).unwrap();
        assert!(r.revision.is_none() && r.marketing.len() > 3);
        assert_eq!(lookup(0x73df, None).unwrap().gfx, "gfx1031");
        assert_eq!(
            lookup(0x744c, Some(0xc8)).unwrap().marketing,
            ["AMD Radeon RX 7900 XTX"]
        );
        assert_eq!(lookup(0x740f, None).unwrap().family, "CDNA2");
        assert_eq!(lookup(0x7550, Some(0xc0)).unwrap().gfx, "gfx1201");
        assert_eq!(lookup(0x164e, None).unwrap().apu, Some(true));
        assert_eq!(lookup(0x1586, None).unwrap().gfx, "gfx1151");
        assert_eq!(lookup(0x7499, None).unwrap().gfx, "unknown");
        assert!(lookup(0x0001, None).is_none());
        assert_eq!(family_of_gfx("gfx1030"), Some("RDNA2"));
        assert_eq!(family_of_gfx("gfx90a"), Some("CDNA2"));
        assert_eq!(gfx_for_gc(10, 3, 2).unwrap().gfx, "gfx1031");
        assert_eq!(gfx_for_gc(11, 0, 3).unwrap().gfx, "gfx1101");
        assert_eq!(gfx_for_gc(11, 0, 1).unwrap().gfx, "gfx1103");
        assert!(gfx_for_gc(99, 0, 0).is_none());
    }
}
