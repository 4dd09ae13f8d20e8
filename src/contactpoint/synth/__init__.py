"""Synthetic population and source extracts: the project's test, demo and benchmark data.

``generate_population`` gives the truth (reference data and a replayable stream
of households); ``write_synthetic_extracts`` writes the sources' feeds, with
their errors, and the truth that links them.
"""

from contactpoint.synth.bundle import SynthSummary, write_synthetic_extracts
from contactpoint.synth.generation import Population, generate_population

__all__ = ["Population", "SynthSummary", "generate_population", "write_synthetic_extracts"]
