"""geo: find, place and date the events reported in news articles, offline.

The data flows read → recognise → resolve → date → events → store → map / share;
each step is one module of this package and `pipeline.py` composes them.
"""
__version__ = "0.1.0"
