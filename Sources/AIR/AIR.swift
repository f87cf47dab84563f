// Attend, Infer, Repeat.
