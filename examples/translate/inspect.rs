//! Looking inside a trained model, and handing it to PyTorch: the alignment heat map
//! of `translate --attention`, and the files `reference.py` reads (teacher-forced
//! logits, the training batches with the initial weights).
//! Read next: `reference.py`.

use std::path::Path;

use ferrograd::prelude::*;
use ferrograd::tensor::io::{StateDict, save_state_dict};
use ferrograd::text::{BOS, Bpe, EOS};

use crate::batches::{self, Batch, Example};
use crate::cli;
use crate::model::Seq2Seq;
use crate::train::TrainConfig;
use crate::translate::{Search, translate_ids};

/// The teacher-forced logits of `examples` in one batch, with its inputs, as
/// safetensors (`src`, `tgt_in`, `logits`): what `reference.py --check` compares.
pub fn dump_logits(model: &Seq2Seq, examples: &[Example], path: &Path) -> cli::Result<()> {
    let batch = Batch::new(&examples.iter().collect::<Vec<_>>());
    let logits = no_grad(|| {
        let memory = model.encode(&batch.src, &batch.src_padding);
        model.decode(
            &batch.tgt_in,
            &batch.tgt_padding,
            &memory,
            &batch.src_padding,
        )
    });
    let mut state = StateDict::new();
    state.insert("src".into(), batch.src);
    state.insert("tgt_in".into(), batch.tgt_in);
    state.insert("logits".into(), logits.value());
    Ok(save_state_dict(&state, path)?)
}

/// The first `count` training batches, epoch after epoch in training order, as
/// safetensors (`src.i`, `tgt_in.i`, `tgt_out.i`, and `epoch.i`), beside the initial
/// model (`init.safetensors`, as `train` would start from it): what `reference.py`
/// trains PyTorch's twin on (`--train-speed`, `--train`), so that both see the same
/// initial weights, token ids and batch shapes.
pub fn dump_batches(
    model: &Seq2Seq,
    train: &[Example],
    config: &TrainConfig,
    count: usize,
    out: &Path,
) -> cli::Result<()> {
    crate::save_model(model, &out.join("init.safetensors"))?;
    let mut state = StateDict::new();
    let epochs = (0..).map(|e| {
        (
            e,
            batches::epoch_batches(train, config.max_tokens, config.seed, e),
        )
    });
    let all = epochs.flat_map(|(e, batches)| batches.into_iter().map(move |rows| (e, rows)));
    for (i, (epoch, rows)) in all.take(count).enumerate() {
        let batch = Batch::new(&rows.iter().map(|&r| &train[r]).collect::<Vec<_>>());
        state.insert(format!("src.{i}"), batch.src);
        state.insert(format!("tgt_in.{i}"), batch.tgt_in);
        state.insert(format!("tgt_out.{i}"), batch.tgt_out);
        state.insert(
            format!("epoch.{i}"),
            Tensor::from_vec_f64(vec![epoch as f64], &[]),
        );
    }
    let path = out.join("batches.safetensors");
    save_state_dict(&state, &path)?;
    println!("{count} training batches written to {}", path.display());
    Ok(())
}

/// Translate `german` and draw the last decoder layer's cross-attention as a heat
/// map: one row per output token (what the row's position predicts), one column per
/// source token.
pub fn attention_picture(
    model: &Seq2Seq,
    bpe: &Bpe,
    german: &str,
    search: Search,
    path: &Path,
) -> cli::Result<()> {
    let source = bpe.encode(german);
    let output = translate_ids(model, std::slice::from_ref(&source), search, usize::MAX).remove(0);
    let src = batches::ids_tensor(&[[source.as_slice(), &[EOS]].concat()]);
    let tgt_in = batches::ids_tensor(&[[&[BOS], output.as_slice()].concat()]);
    let weights = model
        .cross_attention(&src, &tgt_in)
        .pop()
        .expect("a decoder layer");
    let [_, t, s] = weights.shape()[..] else {
        unreachable!("cross_attention returns [B, T, S]")
    };
    let pieces = |ids: &[u32]| -> Vec<String> {
        ids.iter()
            .chain(&[EOS])
            .map(|&id| bpe.vocab().id_to_token(id).to_string())
            .collect()
    };
    let title = format!(
        "cross-attention, decoder layer {}",
        model.config.decoder_layers
    );
    ferrograd::plot::heatmap(
        &title,
        &weights.reshape(&[t, s]),
        Some(&pieces(&output)),
        Some(&pieces(&source)),
    )
    .save_png(path)?;
    println!(
        "{german}\n→ {}\nattention picture: {}",
        bpe.decode(&output),
        path.display()
    );
    Ok(())
}
