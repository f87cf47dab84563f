// Scene types, JSON, sampling and datasets.
