"""Pure geometry, no I/O: gridding (lattice, bisection, noding), projection, datum, coverage, re-gridding."""
