"""Benchmarks: tinygrad_edu side by side with hand-written NumPy and its peers.

Run from the repository root::

    python -m benchmarks            # the full run (a few minutes on 2 cores)
    python -m benchmarks --quick    # a smoke run, well under a minute
    python benchmarks/run.py --json results.json

Workloads (issue 8):

1. op overhead   -- a chain of 1,000 elementwise ops on a (4,) float32 tensor,
                    forward + backward, µs per op;
2. deep chain    -- 100,000 ops, backward succeeds; time and peak memory per op;
3. MLP training step -- 784-256-128-10 ReLU, cross-entropy, SGD momentum 0.9,
                    float32, batch 32 / 128 / 1024;
4. scalar-scale network -- 2-16-16-1 on 100 moons points, micrograd's demo
                    (hinge loss + L2, 20 SGD steps), and one step at batch 32;
5. memory        -- peak traced memory of a batch-128 step, and RSS over many steps.

Peers (PyTorch, MyGrad, micrograd) are optional: ``pip install -e ".[bench]"``.
A peer that is not installed is skipped with a note. Nothing here is a test:
``tests/test_benchmarks.py`` only checks that ``--quick`` runs.

Files: ``common.py`` (timing, environment, tables), ``chain.py`` (workloads 1
and 2), ``mlp.py`` (workloads 3 and 5), ``moons.py`` (workload 4), ``run.py``
(the command line).
"""
