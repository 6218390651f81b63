"""Outcome measures: scored questionnaires by link, when they are sent, the trend
beside the needling dose, and progress reports."""
