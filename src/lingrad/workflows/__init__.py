"""What ``lingrad fit`` / ``predict`` / ``evaluate`` / ``summary`` / ``explain`` and
the playground do, as library functions: read a table for a model
(:mod:`~lingrad.workflows.tables`), fit it in memory, streamed or on Dask
(:mod:`~lingrad.workflows.fit`), score and predict with a model file
(:mod:`~lingrad.workflows.scoring`, :mod:`~lingrad.workflows.predict`), write a
run's files all at once (:mod:`~lingrad.workflows.outputs`,
:mod:`~lingrad.workflows.staging`), and trace one training step
(:mod:`~lingrad.workflows.walk`, :mod:`~lingrad.workflows.render`).

Nothing here prints or exits: warnings go to a ``warn`` callback (default: a
UserWarning), progress bars show only when asked, and bad option values raise
:class:`lingrad.errors.UsageError` naming the option. ``lingrad.cli`` adds the
options, the printing and the exit codes.
"""
