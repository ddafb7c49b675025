#!/usr/bin/env python
"""Training throughput: ycit's Transformer against Hugging Face `transformers`' GPT-2 with the same
layers, heads, width, context and vocabulary, the same batches, the same loss and the same AdamW
optimiser, timed in one run with the models' steps interleaved (so all of them see the same machine load).

    python bench/bench_train.py                      # 6 layers, 4 heads, width 256, batch 32, context 128, CPU
    python bench/bench_train.py --device cuda        # on a GPU
    python bench/bench_train.py --quick              # a small model, for a smoke test
    python bench/bench_train.py --levers             # also ycit with each hand-fused operation alone, and with none
    python bench/bench_train.py --compile            # also ycit's step through torch.compile (TrainConfig(compile=True))
    python bench/bench_train.py --json out.json      # also write every figure to a JSON file

Prints training tokens per second of each and the ratio ycit / transformers (target: >= 1.2). `ycit` is
the default model: RoPE and RMSNorm hand-fused, SwiGLU as two products (`ycit.transformer.fused_ops`);
`--levers` adds the readable versions (chapter 12's `apply_rope`, `F.rms_norm`, one product for SwiGLU)
and each fast operation alone, so that each lever's ratio is measured in the same run. It then trains copies of one initial model on the same
batches, fused and readable (and compiled, with --compile), and prints the largest difference between
their losses over the first --check-steps steps, next to a control run whose weights differ from the
fused model's by float32 rounding (training amplifies any rounding difference).
`transformers` is a benchmark extra, never imported by ycit itself.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import platform
import statistics
import time
import warnings

import torch

from peers import hf_gpt2
from ycit.lm import count_params
from ycit.tokenise import TokenData
from ycit.train import TrainConfig, compile_module, make_optimizer, train_step
from ycit.transformer import Transformer, TransformerConfig, fused_ops


class Logits(torch.nn.Module):
    "`transformers`' model as a plain logits function, so that ycit's `train_step` can train it too."
    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=x, use_cache=False).logits


def make_step(model: torch.nn.Module, lr: float, **fused):
    """One training step of `model` exactly as the harness takes it (`ycit.train.train_step` with its AdamW
    grouping), under `ycit.transformer.fused_ops(**fused)` (`transformers`' model uses none of them)."""
    optimizer = make_optimizer(model, TrainConfig(lr=lr, weight_decay=0.1, grad_clip=1.0))
    def step(x, y):
        with fused_ops(**fused): return train_step(model, optimizer, x, y, grad_clip=1.0)
    return step

# the variants of ycit's model --levers times: which of the CPU-fast operations are on
READABLE = dict(rope=False, norm=False, swiglu=False)
LEVERS = {'ycit readable': READABLE, 'ycit RoPE only': {**READABLE, 'rope': True},
          'ycit RMSNorm only': {**READABLE, 'norm': True}, 'ycit SwiGLU only': {**READABLE, 'swiglu': True}}


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
    parser.add_argument('--levers', action='store_true', help='also time ycit with each hand-fused operation alone, and with none')
    parser.add_argument('--compile', action='store_true', help="also time ycit's model through torch.compile, and check its losses")
    parser.add_argument('--check-steps', type=int, default=20, help='steps of the fused/readable (and compiled) loss comparison; 0: none')
    parser.add_argument('--json', help='also write every figure to this JSON file')
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
    if args.levers:
        for name, switches in LEVERS.items(): steps[name] = make_step(copy.deepcopy(ours), 1e-3, **switches)
    if args.compile:
        compiled = compile_module(copy.deepcopy(ours))
        if compiled is None: raise SystemExit('torch.compile is not available here')
        steps['ycit compiled'] = make_step(compiled, 1e-3)
    generator = torch.Generator().manual_seed(0)
    batches = [data.batch('train', args.batch_size, args.block_size, generator, device) for _ in range(args.steps)]
    machine = (f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, device {device}'
               + (f' ({torch.cuda.get_device_name(device)})' if device.type == 'cuda' else
                  f', {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f} at the start'))
    print(f'machine: {machine}')
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
    rates, ratios = {}, {}
    print(f"{'model':>18} {'median step ms':>15} {'fastest step ms':>16} {'median CPU ms':>14} {'tokens/s (median wall)':>23} "
          f"{'tokens/CPU-s':>13}")
    for name in steps:
        rates[name] = tokens / statistics.median(wall[name]), tokens / statistics.median(cpu[name])
        print(f'{name:>18} {1e3 * statistics.median(wall[name]):>15.1f} {1e3 * min(wall[name]):>16.1f} '
              f'{1e3 * statistics.median(cpu[name]):>14.1f} {rates[name][0]:>23,.0f} {rates[name][1]:>13,.0f}')
    print()
    for name in [n for n in steps if n != 'transformers']:
        ratio = ratios[name] = [a / b for a, b in zip(rates[name], rates['transformers'])]
        print(f"throughput ratio {name} / transformers: {ratio[0]:.2f} by wall clock, {ratio[1]:.2f} by CPU time (target >= 1.2)")
    check = check_losses(cfg, data, args, device) if args.check_steps > 0 else None
    if args.json:
        record = dict(args=vars(args), machine=machine, load_average_end=os.getloadavg()[0], commit=_commit(),
                      tokens_per_step=tokens, step_seconds=wall, step_cpu_seconds=cpu,
                      tokens_per_second={n: r[0] for n, r in rates.items()}, tokens_per_cpu_second={n: r[1] for n, r in rates.items()},
                      ratio_wall={n: r[0] for n, r in ratios.items()}, ratio_cpu={n: r[1] for n, r in ratios.items()}, loss_check=check)
        partial = f'{args.json}.partial'
        with open(partial, 'w') as f: json.dump(record, f, indent=1)
        os.replace(partial, args.json)  # whole or not at all
        print(f'figures written to {args.json}')


def _commit() -> str | None:
    "The git commit of this checkout, with '+changes' if the measured code (ycit/, bench/) differs from it (None outside git)."
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=here, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no', '--', '../ycit', '*.py'], cwd=here, capture_output=True, text=True).stdout
        return commit + ('+changes' if dirty.strip() else '')
    except (OSError, subprocess.CalledProcessError): return None


def check_losses(cfg: TransformerConfig, data: TokenData, args, device) -> dict:
    """Train copies of one initial model on the same batches: fused (the default), readable (`fused_ops` all off),
    compiled (with --compile), and a control: a fused copy whose weights differ by float32 rounding (each one ulp
    up). Training amplifies any rounding difference, so after many steps each gap is judged against the
    control's; over the first 5 steps it must stay below 1e-4 outright."""
    torch.manual_seed(1)
    fused = Transformer(cfg).to(device).train()
    readable, twin, control = copy.deepcopy(fused), copy.deepcopy(fused), copy.deepcopy(fused)
    with torch.no_grad():
        for p in control.parameters(): p.copy_(torch.nextafter(p, torch.full_like(p, float('inf'))))  # one ulp up
    generator = torch.Generator().manual_seed(1)
    batches = [data.batch('train', args.batch_size, args.block_size, generator, device) for _ in range(args.check_steps)]
    runs = {'fused': make_step(fused, 1e-3), 'readable': make_step(readable, 1e-3, **READABLE),
            'control': make_step(control, 1e-3)}
    if args.compile: runs['compiled'] = make_step(compile_module(twin), 1e-3)
    losses = {name: torch.stack([step(x, y) for x, y in batches]).cpu() for name, step in runs.items()}
    gaps = {name: (losses['fused'] - losses[name]).abs() for name in runs if name != 'fused'}
    control_gap = gaps['control'].max().item()
    print(f"\nloss check over {args.check_steps} steps from the same weights and batches (losses {losses['fused'][0]:.4f} -> "
          f"{losses['fused'][-1]:.4f}); largest difference from the fused model, first 5 steps and all steps:")
    check = {'steps': args.check_steps, 'losses': {n: l.tolist() for n, l in losses.items()}}
    for name in gaps:
        early, late = gaps[name][:5].max().item(), gaps[name].max().item()
        check[name] = {'first_5': early, 'all': late}
        print(f'{name:>10}: {early:.1e} nats, {late:.1e} nats' + ('  (weights one ulp up: what rounding alone does)' if name == 'control' else ''))
    for name in [n for n in gaps if n != 'control']:
        if check[name]['first_5'] > 1e-4:
            raise SystemExit(f"the {name} model trains differently over the first 5 steps: {check[name]['first_5']:.2e} > 1e-4")
        if check[name]['all'] > max(1e-4, 10 * control_gap):
            raise SystemExit(f"the {name} model drifts further from the fused one than rounding does: "
                             f"{check[name]['all']:.2e} > 10 x {control_gap:.2e}")
    return check

if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    main()
