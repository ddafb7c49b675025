#!/usr/bin/env python
"""Training throughput: ycit's Transformer against Hugging Face `transformers`' GPT-2 with the same
layers, heads, width, context and vocabulary, the same batches, the same loss and the same AdamW
optimiser, timed in one run with the two models' steps interleaved (so both see the same machine load).

    python bench/bench_train.py                      # 6 layers, 4 heads, width 256, batch 32, context 128, CPU
    python bench/bench_train.py --device cuda        # on a GPU
    python bench/bench_train.py --quick              # a small model, for a smoke test
    python bench/bench_train.py --compile            # also ycit's step through torch.compile (TrainConfig(compile=True))

Prints training tokens per second of each and the ratio ycit / transformers (target: >= 1.2). With
--compile it also trains an eager and a compiled copy of the same initial model on the same batches and
prints the largest difference between their losses over the first --check-steps steps, next to a control run whose
weights differ from eager's by float32 rounding (training amplifies any rounding difference).
`transformers` is a benchmark extra, never imported by ycit itself.
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import time
import warnings

import torch

from peers import hf_gpt2
from ycit.lm import count_params
from ycit.tokenise import TokenData
from ycit.train import TrainConfig, compile_module, make_optimizer, train_step
from ycit.transformer import Transformer, TransformerConfig


class Logits(torch.nn.Module):
    "`transformers`' model as a plain logits function, so that ycit's `train_step` can train it too."
    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=x, use_cache=False).logits


def make_step(model: torch.nn.Module, lr: float):
    "One training step of `model` exactly as the harness takes it: `ycit.train.train_step` with its AdamW grouping."
    optimizer = make_optimizer(model, TrainConfig(lr=lr, weight_decay=0.1, grad_clip=1.0))
    return lambda x, y: train_step(model, optimizer, x, y, grad_clip=1.0)


def synchronize(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n-layer', type=int, default=6)
    parser.add_argument('--d-model', type=int, default=256)
    parser.add_argument('--n-head', type=int, default=4)
    parser.add_argument('--block-size', type=int, default=128, help='training context')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=5, help='timed steps per model per round')
    parser.add_argument('--rounds', type=int, default=3, help='rounds of alternating ycit / transformers steps')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    parser.add_argument('--quick', action='store_true', help='a 2-layer width-64 model, 2 steps x 2 rounds: a smoke test')
    parser.add_argument('--compile', action='store_true', help="also time ycit's model through torch.compile, and check its losses")
    parser.add_argument('--check-steps', type=int, default=20, help='with --compile: steps of the eager/compiled loss comparison')
    args = parser.parse_args()
    if args.quick: args.n_layer, args.d_model, args.n_head, args.steps, args.rounds = 2, 64, 4, 2, 2
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    data = TokenData.shakespeare_chars()
    torch.manual_seed(0)
    cfg = TransformerConfig(vocab_size=data.vocab_size, block_size=args.block_size, n_layer=args.n_layer,
                            n_head=args.n_head, d_model=args.d_model)
    ours, theirs = Transformer(cfg).to(device).train(), hf_gpt2(cfg).to(device).train()
    steps = {'ycit': make_step(ours, 1e-3), 'transformers': make_step(Logits(theirs), 1e-3)}
    if args.compile:
        compiled = compile_module(copy.deepcopy(ours))
        if compiled is None: raise SystemExit('torch.compile is not available here')
        steps['ycit compiled'] = make_step(compiled, 1e-3)
    generator = torch.Generator().manual_seed(0)
    batches = [data.batch('train', args.batch_size, args.block_size, generator, device) for _ in range(args.steps)]
    print(f'machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, '
          f'device {device}' + (f' ({torch.cuda.get_device_name(device)})' if device.type == 'cuda' else
                                f', {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f}'))
    print(f'shape: {cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.d_model}, context {cfg.block_size}, vocab '
          f'{cfg.vocab_size}, batch {args.batch_size}; ycit {count_params(ours):,} params (RoPE, RMSNorm, SwiGLU, no biases), '
          f'transformers GPT-2 {count_params(theirs):,} params (learned positions, LayerNorm, GELU, biases)')
    print('same batches, float32, cross-entropy, AdamW(lr 1e-3, betas (0.9, 0.95), weight decay 0.1), grad clip 1.0\n')

    for name, step in steps.items():  # warm up (allocator, kernels; compiling, for the compiled model)
        started = time.perf_counter()
        for x, y in batches[:2]: step(x, y)
        if name == 'ycit compiled': print(f'compiling and two warm-up steps: {time.perf_counter() - started:.0f} s')
    synchronize(device)
    wall = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    for round_ in range(args.rounds):
        for name, step in steps.items():
            for x, y in batches:
                started, started_cpu = time.perf_counter(), time.process_time()
                step(x, y)
                synchronize(device)
                wall[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - started_cpu)
    tokens = args.batch_size * args.block_size
    rates = {}
    print(f"{'model':>13} {'median step ms':>15} {'fastest step ms':>16} {'median CPU ms':>14} {'tokens/s (median wall)':>23} "
          f"{'tokens/CPU-s':>13}")
    for name in steps:
        rates[name] = tokens / statistics.median(wall[name]), tokens / statistics.median(cpu[name])
        print(f'{name:>13} {1e3 * statistics.median(wall[name]):>15.1f} {1e3 * min(wall[name]):>16.1f} '
              f'{1e3 * statistics.median(cpu[name]):>14.1f} {rates[name][0]:>23,.0f} {rates[name][1]:>13,.0f}')
    for name in [n for n in steps if n != 'transformers']:
        ratio = [a / b for a, b in zip(rates[name], rates['transformers'])]
        print(f"\nthroughput ratio {name} / transformers: {ratio[0]:.2f} by wall clock, {ratio[1]:.2f} by CPU time (target >= 1.2)")
    if args.compile: check_losses(cfg, data, args, device)


def check_losses(cfg: TransformerConfig, data: TokenData, args, device):
    """Train an eager and a compiled copy of one initial model on the same batches, and a control: an eager copy whose
    weights differ by float32 rounding (each one ulp up). Training amplifies any rounding difference, so after many
    steps the compiled gap is judged against the control's; over the first 5 steps it must stay below 1e-4 outright."""
    torch.manual_seed(1)
    eager = Transformer(cfg).to(device).train()
    twin, control = copy.deepcopy(eager), copy.deepcopy(eager)
    with torch.no_grad():
        for p in control.parameters(): p.copy_(torch.nextafter(p, torch.full_like(p, float('inf'))))  # one ulp up
    generator = torch.Generator().manual_seed(1)
    batches = [data.batch('train', args.batch_size, args.block_size, generator, device) for _ in range(args.check_steps)]
    runs = {'eager': make_step(eager, 1e-3), 'compiled': make_step(compile_module(twin), 1e-3),
            'control': make_step(control, 1e-3)}
    losses = {name: torch.stack([step(x, y) for x, y in batches]).cpu() for name, step in runs.items()}
    gaps = {name: (losses['eager'] - losses[name]).abs() for name in ('compiled', 'control')}
    early = gaps['compiled'][:5].max().item()
    print(f"eager against compiled over {args.check_steps} steps from the same weights and batches: largest loss difference "
          f"{gaps['compiled'].max().item():.1e} nats (first 5 steps {early:.1e}); eager against eager with the weights "
          f"one ulp up: {gaps['control'].max().item():.1e} (losses {losses['eager'][0]:.4f} -> {losses['eager'][-1]:.4f})")
    if early > 1e-4: raise SystemExit(f'the compiled model trains differently over the first 5 steps: {early:.2e} > 1e-4')
    if gaps['compiled'].max() > max(1e-4, 10 * gaps['control'].max().item()):
        raise SystemExit('the compiled model drifts further from eager than rounding does: '
                         f"{gaps['compiled'].max().item():.2e} > 10 x {gaps['control'].max().item():.2e}")

if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    main()
