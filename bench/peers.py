"""The peer models the benchmarks measure ycit against. `transformers` is a benchmark extra
(`pip install -e ".[bench]"`), never imported by ycit itself."""
from __future__ import annotations

from ycit.transformer import TransformerConfig


def hf_gpt2(cfg: TransformerConfig):
    "`transformers`' GPT2LMHeadModel with the same layers, heads, width, context and vocabulary, no dropout, fused (SDPA) attention."
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging
    logging.set_verbosity_error()
    config = GPT2Config(vocab_size=cfg.vocab_size, n_positions=cfg.block_size, n_embd=cfg.d_model, n_layer=cfg.n_layer,
                        n_head=cfg.n_head, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        bos_token_id=0, eos_token_id=None, pad_token_id=0, attn_implementation='sdpa')
    model = GPT2LMHeadModel(config)
    assert model.config._attn_implementation == 'sdpa', model.config._attn_implementation
    return model
