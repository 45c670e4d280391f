"""The run layer: executing an evaluation and what surrounds it.

The runner (:mod:`evaluation.run.runner`: validate, execute the notebooks, publish the report atomically and write
``manifest.json``), reruns from a manifest (:mod:`~evaluation.run.rerun`), parameter sweeps
(:mod:`~evaluation.run.sweep`), community profiles (:mod:`~evaluation.run.profiles`), the comparison of two runs
(:mod:`~evaluation.run.diff`), and what only they use: the process pool, the kernel configuration and the reading of
a run's files. It sits above the report layer, whose renderers (HTML, Word, the figures workbook, the summary) it
calls, and beneath the command line.
"""
