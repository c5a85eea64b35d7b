"""vadbench's shipped run configs (mmengine Config files, never imported): installed with the package as
``vadbench_configs`` so that ``vadbench run --config demo`` finds them by name outside a checkout."""
