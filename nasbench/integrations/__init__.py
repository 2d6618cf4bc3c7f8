"""Bridges from our tables to other libraries (optional extras; imported only when used).

* :mod:`nasbench.integrations.synetune`: tables as syne-tune blackboxes, and syne-tune's
  optimizers as search arms (extra ``[synetune]``).
"""
