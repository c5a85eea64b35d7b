"""Reusable building blocks for dataset plugins: decoding and encoding video, resizing, and the frame cache."""
