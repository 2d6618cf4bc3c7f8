"""``python -m nasbench.cli ...``: the same as the ``nasbench`` script."""
from nasbench.cli import main

main(prog_name="nasbench")
