#!/usr/bin/env python
"""Sampling speed: ycit's Transformer with and without its KV cache, Hugging Face `transformers`'
GPT-2 with the same shape and its own cached `generate`, at batch 1 and for batches of prompts
(1, 8, 32 by default), each next to the lower bound that `ycit.cost` predicts for this machine.

    python bench/bench_sample.py                      # 6 layers, 4 heads, width 256, context 1024 (4.8M params)
    python bench/bench_sample.py --quick              # a small model, for a smoke test

Random weights (speed does not depend on them); greedy decoding for both libraries, so that both
generate exactly the requested number of tokens. ycit samples from `decoding_model(model)`, the
prepacked copy that `generate` makes (its one-off cost is printed); the model as trained, with
`nn.Linear`'s weight layout, is timed too. `transformers` is a benchmark extra, never
imported by ycit itself.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import torch

from ycit.cost import Hardware, config_from_model, decode_step, measure_bandwidth, measure_matmul_flops, prefill, weight_bytes
from ycit.sample import decoding_model, generate_tokens
from peers import hf_gpt2
from ycit.lm import count_params
from ycit.transformer import KVCache, Transformer, TransformerConfig


def timed(fn) -> tuple[float, float]:
    "Wall-clock and CPU seconds (this process) of `fn()`; CPU time ignores the time other workers hold the cores."
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def time_ycit(model, prompt, n, use_cache) -> tuple[float, float]:
    "Wall and CPU seconds to generate `n` tokens greedily (prefill included)."
    def run():
        for _ in generate_tokens(model, prompt, n, temperature=0, use_cache=use_cache): pass
    return timed(run)


@torch.no_grad()
def time_hf(model, prompt, n) -> tuple[float, float]:
    "Wall and CPU seconds for `transformers`' cached greedy `generate` of exactly `n` tokens."
    def run():
        out = model.generate(prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=True,
                             pad_token_id=0, eos_token_id=None)
        assert out.shape[1] == prompt.shape[1] + n, out.shape
    return timed(run)


@torch.no_grad()
def decode_step_seconds(model, context: int, steps: int = 200) -> tuple[float, float]:
    "Median wall and CPU seconds of one cached decoding step with `context` tokens already in the cache."
    cache = KVCache(model.config, 1)
    model(torch.zeros(1, context, dtype=torch.long), cache)
    token, walls, cpus = torch.zeros(1, 1, dtype=torch.long), [], []
    for _ in range(steps):
        cache.pos = context  # every step sees the same context
        wall, cpu = timed(lambda: model(token, cache))
        walls.append(wall); cpus.append(cpu)
    return sorted(walls)[steps // 2], sorted(cpus)[steps // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-layer', type=int, default=6)
    parser.add_argument('--d-model', type=int, default=256)
    parser.add_argument('--n-head', type=int, default=4)
    parser.add_argument('--block-size', type=int, default=1024)
    parser.add_argument('--vocab-size', type=int, default=65)
    parser.add_argument('--new-tokens', default='100,500,1000', help='comma-separated numbers of tokens to generate')
    parser.add_argument('--prompt-len', type=int, default=16)
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads (1 is fastest for small models on a busy machine)')
    parser.add_argument('--repeats', type=int, default=3, help='cached runs (ycit and transformers alternating) are repeated; the fastest is kept')
    parser.add_argument('--batches', default='1,8,32', help='comma-separated batch sizes for the batch table')
    parser.add_argument('--batch-tokens', type=int, default=200, help='tokens generated per row in the batch table')
    parser.add_argument('--quick', action='store_true', help='a 2-layer width-64 model and 50,100 tokens: a smoke test')
    args = parser.parse_args()
    if args.quick: args.n_layer, args.d_model, args.n_head, args.new_tokens, args.batch_tokens = 2, 64, 4, '50,100', 50
    torch.set_num_threads(args.threads)
    lengths = [int(n) for n in args.new_tokens.split(',')]
    if args.prompt_len + max(lengths) > args.block_size:
        raise SystemExit(f'prompt of {args.prompt_len} + {max(lengths)} new tokens exceeds --block-size {args.block_size}')

    torch.manual_seed(0)
    cfg = TransformerConfig(vocab_size=args.vocab_size, block_size=args.block_size, n_layer=args.n_layer,
                            n_head=args.n_head, d_model=args.d_model)
    ours = Transformer(cfg).eval()
    theirs = hf_gpt2(cfg).eval()
    started = time.perf_counter()
    packed = decoding_model(ours)
    prepack_s = time.perf_counter() - started
    prompt = torch.randint(0, cfg.vocab_size, (1, args.prompt_len), generator=torch.Generator().manual_seed(0))
    print(f'machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, '
          f'{torch.get_num_threads()} thread(s); load average {os.getloadavg()[0]:.1f}')
    print(f'shape: {cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.d_model}, context {cfg.block_size}, '
          f'vocab {cfg.vocab_size}; ycit {count_params(ours):,} params (RoPE, RMSNorm, SwiGLU), '
          f'transformers GPT-2 {count_params(theirs):,} params (learned positions, LayerNorm, GELU, biases)')
    print(f'batch 1, prompt {args.prompt_len} tokens, greedy; tokens/s include the prefill')
    print(f'prepacking (decoding_model, once per model): {prepack_s * 1e3:.0f} ms\n')

    time_ycit(packed, prompt, 20, True); time_ycit(ours, prompt, 20, True); time_hf(theirs, prompt, 20)  # warm up
    rows = []
    for n in lengths:
        cached, unpacked, hf = [], [], []
        for _ in range(args.repeats):  # interleave, so all see the same load; keep each one's fastest
            cached.append(time_ycit(packed, prompt, n, True)); hf.append(time_hf(theirs, prompt, n))
            unpacked.append(time_ycit(ours, prompt, n, True))
        uncached = time_ycit(packed, prompt, n, False)
        rows.append((n, min(cached), min(unpacked), uncached, min(hf)))
    for i, clock in enumerate(('wall clock', 'CPU time of this process (robust to other workers on the machine)')):
        print(f'tokens/s by {clock}:')
        print(f"{'new tokens':>10} {'ycit cache':>11} {'ycit no cache':>14} {'transformers':>13} {'cache speedup':>14} "
              f"{'ycit / transformers':>20} {'nn.Linear layout':>17} {'its ratio':>10}")
        for n, cached, unpacked, uncached, hf in rows:
            c, p, u, h = n / cached[i], n / unpacked[i], n / uncached[i], n / hf[i]
            print(f'{n:>10} {c:>11,.0f} {u:>14,.0f} {h:>13,.0f} {c / u:>13.1f}x {c / h:>19.2f}x {p:>17,.0f} {p / h:>9.2f}x')
        print()
    print('ycit cache / no cache: the prepacked model; nn.Linear layout: the same model as trained, cached, and its '
          'ratio to transformers')

    print('\nmeasured decode step vs the memory-bound lower bound (ycit.cost.decode_step, fp32 weights and cache):')
    bandwidth, flops = measure_bandwidth(), measure_matmul_flops()
    hw = Hardware('this machine', {'fp32': flops}, mem_bandwidth=bandwidth, mem_capacity=0.0)
    shape = config_from_model(ours)
    print(f'measured: {bandwidth / 1e9:.1f} GB/s memory bandwidth (large copy), {flops / 1e9:.1f} GFLOP/s fp32 matmul; '
          f'weights {weight_bytes(shape, "fp32") / 2**20:.1f} MiB')
    print(f"{'context':>8} {'wall ms':>8} {'CPU ms':>7} {'memory bound ms':>16} {'compute bound ms':>17} "
          f"{'wall / bound':>13} {'CPU / bound':>12}")
    for context in (args.prompt_len, cfg.block_size // 2, cfg.block_size - 1):
        wall, cpu = decode_step_seconds(packed, context)
        bound = decode_step(shape, hw, batch=1, context=context, dtype='fp32')
        print(f'{context:>8} {wall * 1e3:>8.3f} {cpu * 1e3:>7.3f} {bound.memory_s * 1e3:>16.3f} {bound.compute_s * 1e3:>17.3f} '
              f'{wall / bound.total_s:>12.1f}x {cpu / bound.total_s:>11.1f}x')
    print('\n(the bound assumes every weight is read from DRAM once per step; a small model partly fits in the CPU caches, '
          'and at batch 1 each step is also a few hundred small kernel launches)')
    batch_table(args, cfg, packed, theirs, shape, hw)


def predicted_seconds(shape, hw, batch: int, prompt_len: int, n: int) -> float:
    "ycit.cost's lower bound for a prefill of `batch` prompts and `n` cached steps (fp32): seconds."
    steps = sum(decode_step(shape, hw, batch=batch, context=prompt_len + i, dtype='fp32').total_s for i in range(n - 1))
    return prefill(shape, hw, prompt_len, batch=batch, dtype='fp32').total_s + steps


def batch_table(args, cfg, packed, theirs, shape, hw):
    "Tokens/s for batches of prompts of one length: ycit's `generate_tokens` against `transformers`' `generate`."
    batches, n = [int(b) for b in args.batches.split(',')], args.batch_tokens
    print(f'\nbatches of prompts ({args.prompt_len} tokens each, {n} new tokens per row, greedy, cached, prefill included); '
          'tokens/s count every row\'s tokens, best of --repeats by wall clock:')
    print(f"{'batch':>6} {'ycit':>9} {'transformers':>13} {'ycit / transformers':>20} {'bound tokens/s':>15} {'ycit / bound':>13}")
    for batch in batches:
        prompt = torch.randint(0, cfg.vocab_size, (batch, args.prompt_len), generator=torch.Generator().manual_seed(batch))
        time_ycit(packed, prompt, 5, True); time_hf(theirs, prompt, 5)  # warm up this shape
        ours, hf = [], []
        for _ in range(args.repeats):
            ours.append(time_ycit(packed, prompt, n, True)[0]); hf.append(time_hf(theirs, prompt, n)[0])
        tokens, bound = batch * n, predicted_seconds(shape, hw, batch, args.prompt_len, n)
        print(f'{batch:>6} {tokens / min(ours):>9,.0f} {tokens / min(hf):>13,.0f} {min(hf) / min(ours):>19.2f}x '
              f'{tokens / bound:>15,.0f} {bound / min(ours):>12.2f}x')
    print('(bound: ycit.cost.prefill + decode_step per step with this machine\'s measured bandwidth and matmul rate; '
          'ycit / bound is the share of it reached)')


if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    main()
