#!/usr/bin/env python
"""What the controlled ladder's cost levers buy (chapter 15b), measured rather than assumed.

    python bench/bench_controlled.py                         # tokens/s of every mixer in the shared block, eager
    python bench/bench_controlled.py --compile               # and through torch.compile, interleaved, with the ratio
    python bench/bench_controlled.py --records nbs/ladder/controlled   # what early stopping saved, from the records
    python bench/bench_controlled.py --json out.json         # also write the figures

Throughput: each rung's model (`ycit.controlled.controlled_model`) takes training steps of the protocol's shape
(32 windows of 128 characters) on one thread, eager and (with --compile) compiled, the two stepped in turn so both
see the same machine load; the median over rounds is printed with the machine and its load (a figure taken while
other jobs run is a figure under load: the load average is printed to say so). Early stopping: the training tokens
the finished runs took, against the cap each would otherwise have run to.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from ycit.controlled import CONTROLLED_BATCH, CONTROLLED_CONTEXT, CONTROLLED_RUNGS, controlled_model, read_records
from ycit.lm import this_machine
from ycit.train import TrainConfig, compile_module, make_optimizer, train_step


def step_rate(model, optimizer, batches, steps: int) -> float:
    "Training tokens per second over `steps` steps of `batches` (cycled)."
    started = time.perf_counter()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        train_step(model, optimizer, x, y, 1.0)
    return steps * batches[0][0].numel() / (time.perf_counter() - started)


def throughput(rungs, rounds: int, steps: int, compile: bool) -> list[dict]:
    "Median training tokens/s of each rung, eager (and compiled), stepped in turn."
    gen = torch.Generator().manual_seed(0)
    batches = [(lambda ids: (ids[:, :-1], ids[:, 1:]))(torch.randint(0, 65, (CONTROLLED_BATCH, CONTROLLED_CONTEXT + 1), generator=gen))
               for _ in range(4)]
    rows = []
    for rung in rungs:
        torch.manual_seed(0)
        eager = controlled_model(rung)
        models = {'eager': (eager, make_optimizer(eager, TrainConfig()))}
        if compile:
            twin = controlled_model(rung); twin.load_state_dict(eager.state_dict())
            compiled = compile_module(twin)
            if compiled is not None: models['compiled'] = (compiled, make_optimizer(twin, TrainConfig()))
        for model, optimizer in models.values(): step_rate(model, optimizer, batches, 3)  # warm up (and compile)
        rates = {name: [] for name in models}
        for _ in range(rounds):
            for name, (model, optimizer) in models.items(): rates[name].append(step_rate(model, optimizer, batches, steps))
        row = {'rung': rung.name, **{name: statistics.median(r) for name, r in rates.items()}}
        if 'compiled' in row: row['ratio'] = row['compiled'] / row['eager']
        rows.append(row)
        print(f"{rung.name:>17}: eager {row['eager']:8,.0f} tokens/s" +
              (f", compiled {row['compiled']:8,.0f} ({row['ratio']:.2f}x)" if 'ratio' in row else ''), flush=True)
    return rows


def early_stopping(out: Path) -> dict:
    "Tokens the finished runs trained for, against the cap each would have run to without early stopping."
    settings = json.loads((out/'protocol.json').read_text())
    records = read_records(out/'runs', settings['version'])
    if not records: raise SystemExit(f'{out} holds no finished runs yet')
    seen = sum(r['tokens_seen'] for r in records.values())
    cap = settings['cap_tokens'] * len(records)
    stopped = sum(r['stopped_early'] for r in records.values())
    print(f'{len(records)} finished runs: {stopped} stopped early; they trained {seen / 1e6:,.1f}M tokens of the '
          f'{cap / 1e6:,.1f}M their caps allowed ({seen / cap:.0%}), {sum(r["cpu_seconds"] for r in records.values()) / 3600:.2f} CPU hours')
    return {'runs': len(records), 'stopped_early': stopped, 'tokens': seen, 'cap_tokens': cap}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rungs', default=None, help='comma-separated rungs (default: every controlled rung)')
    ap.add_argument('--compile', action='store_true', help='also time each rung through torch.compile')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--steps', type=int, default=10, help='steps per round')
    ap.add_argument('--records', type=Path, default=None, help='a controlled-ladder folder: report what early stopping saved')
    ap.add_argument('--json', type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(this_machine())
    figures = {'machine': this_machine()}
    if args.records is not None: figures['early_stopping'] = early_stopping(args.records)
    else:
        names = args.rungs.split(',') if args.rungs else None
        rungs = [r for r in CONTROLLED_RUNGS if names is None or r.name in names]
        figures['throughput'] = throughput(rungs, args.rounds, args.steps, args.compile)
        figures['machine_after'] = this_machine()
        print(figures['machine_after'])
    if args.json: args.json.write_text(json.dumps(figures, indent=1))


if __name__ == '__main__':
    main()
