"""Sphinx extension: the book build's notebook runs notice each cell's reply at once.

Without it, a chapter with widgets could wait a cell's whole time limit (``execute.timeout`` in
_config.yml) for a reply the kernel had already sent: see
:func:`mesaopt.grade.poll_kernel_channels_in_slices` (jupyter/nbclient#312). myst-nb executes the
notebooks in the build's own process, so patching the kernel client here covers them.
"""
from __future__ import annotations


def setup(app):
    from mesaopt.grade import poll_kernel_channels_in_slices

    poll_kernel_channels_in_slices()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
