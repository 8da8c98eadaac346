//! Saving and loading every index: the loaded index answers bit for bit as the saved
//! one; a missing, foreign, truncated or damaged file is an Io error naming the file.

mod common;

use std::path::PathBuf;

use common::clustered;
use search::{Flat, Hnsw, HnswConfig, Ivf, Metric, knn, recall};
use tensor::{Error, ErrorKind, Tensor};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ferrograd-search-{}-{name}", std::process::id()))
}

#[test]
fn every_index_round_trips_bit_for_bit() {
    tensor::manual_seed(31);
    let (base, q) = clustered(1_500, 40, 12, 10);
    let mut flat = Flat::new(12, Metric::Cosine);
    flat.add(&base);
    let path = temp("flat.idx");
    flat.save(&path).unwrap();
    assert_eq!(
        Flat::load(&path).unwrap().search(&q, 10),
        flat.search(&q, 10)
    );

    let mut ivf = Ivf::new(12, 16, Metric::L2);
    ivf.train(&base);
    ivf.add(&base);
    ivf.nprobe = 3;
    let path = temp("ivf.idx");
    ivf.save(&path).unwrap();
    let loaded = Ivf::load(&path).unwrap();
    assert_eq!((loaded.nprobe, loaded.list_sizes()), (3, ivf.list_sizes()));
    assert_eq!(loaded.search(&q, 10), ivf.search(&q, 10));

    let mut hnsw = Hnsw::new(12, Metric::InnerProduct, HnswConfig::default());
    hnsw.add(&base);
    hnsw.ef_search = 30;
    let path = temp("hnsw.idx");
    hnsw.save(&path).unwrap();
    let loaded = Hnsw::load(&path).unwrap();
    assert_eq!(loaded.config(), hnsw.config());
    assert_eq!(loaded.levels(), hnsw.levels());
    assert_eq!(loaded.search(&q, 10), hnsw.search(&q, 10));
    // the loaded graph keeps growing
    let mut loaded = loaded;
    loaded.add(&q);
    let all = Tensor::cat(&[base, q.clone()], 0);
    let truth = knn(&all, &q, 10, Metric::InnerProduct);
    assert!(recall(&loaded.search(&q, 10), &truth) > 0.9);
    for name in ["flat.idx", "ivf.idx", "hnsw.idx"] {
        std::fs::remove_file(temp(name)).unwrap();
    }
}

/// The error of loading `bytes` as an HNSW index.
fn load_bytes(name: &str, bytes: &[u8]) -> Error {
    let path = temp(name);
    std::fs::write(&path, bytes).unwrap();
    let err = Hnsw::load(&path)
        .err()
        .expect("a damaged file must not load");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(err.kind, ErrorKind::Io);
    assert_eq!(err.op, "Hnsw::load");
    assert!(err.message.contains(&path.display().to_string()), "{err}");
    err
}

#[test]
fn damaged_files_are_refused_with_the_reason() {
    tensor::manual_seed(32);
    let mut hnsw = Hnsw::new(4, Metric::L2, HnswConfig::default());
    hnsw.add(&clustered(200, 0, 4, 3).0);
    let path = temp("good.idx");
    hnsw.save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x01;
    assert!(
        load_bytes("flipped.idx", &flipped)
            .message
            .contains("corrupt: checksum mismatch")
    );
    let cut = load_bytes("cut.idx", &good[..good.len() - 100]);
    assert!(cut.message.contains("truncated"), "{cut}");
    let header = load_bytes("header.idx", &good[..10]);
    assert!(header.message.contains("truncated: 10 bytes"), "{header}");
    let foreign = load_bytes("foreign.idx", b"PK\x03\x04 a zip file, not an index at all");
    assert!(
        foreign.message.contains("not a ferrograd search index"),
        "{foreign}"
    );
    let mut future = good.clone();
    future[8] = 9;
    assert!(
        load_bytes("future.idx", &future)
            .message
            .contains("format version 9")
    );

    let flat_path = temp("kind.idx");
    Flat::new(4, Metric::L2).save(&flat_path).unwrap();
    let err = Hnsw::load(&flat_path).err().unwrap();
    assert!(
        err.message
            .ends_with("holds a Flat index, not an HNSW index"),
        "{err}"
    );
    std::fs::remove_file(&flat_path).unwrap();

    let missing = Flat::load(temp("missing.idx")).err().unwrap();
    assert!(
        missing.message.contains("missing.idx: cannot read"),
        "{missing}"
    );
    let unwritable = Flat::new(2, Metric::L2).save(temp("no-such-dir").join("x.idx"));
    assert_eq!(unwritable.unwrap_err().kind, ErrorKind::Io);
}
