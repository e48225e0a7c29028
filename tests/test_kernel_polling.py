"""The kernel client polls its sockets in slices, so a lost wake-up costs half a second, not a cell's time limit.

nbclient's Output-widget mimic sends on the shell socket while it awaits the cell's reply there; with pyzmq's
asyncio sockets that send can swallow the "readable" event, and the reply was noticed only at the cell's
time limit (jupyter/nbclient#312). `mesaopt.grade.poll_kernel_channels_in_slices` patches the asynchronous
channel's get_msg. These tests drive the patched method with a fake socket whose first polls miss a message.
"""
from __future__ import annotations

import asyncio
from queue import Empty

import pytest
from jupyter_client.channels import AsyncZMQSocketChannel

from mesaopt.grade import POLL_SLICE_SECONDS, poll_kernel_channels_in_slices


class MissingSocket:
    """A socket with one message waiting whose first ``misses`` polls report nothing (the lost wake-up)."""

    def __init__(self, misses: int, has_message: bool = True):
        self.misses, self.has_message, self.polls = misses, has_message, []

    async def poll(self, timeout_ms):
        self.polls.append(timeout_ms)
        if len(self.polls) <= self.misses or not self.has_message:
            await asyncio.sleep(0)
            return 0
        return 1


def channel_with(socket) -> AsyncZMQSocketChannel:
    channel = AsyncZMQSocketChannel.__new__(AsyncZMQSocketChannel)
    channel.socket = socket

    async def _recv():
        return {"msg_type": "execute_reply"}

    channel._recv = _recv
    return channel


def test_a_missed_wake_up_is_recovered_by_the_next_slice_not_at_the_time_limit():
    poll_kernel_channels_in_slices()
    socket = MissingSocket(misses=2)
    msg = asyncio.run(channel_with(socket).get_msg(timeout=300))
    assert msg == {"msg_type": "execute_reply"}
    # three polls, none longer than one slice: the unpatched method polled once for the whole 300 s
    assert len(socket.polls) == 3 and max(socket.polls) <= POLL_SLICE_SECONDS * 1000


def test_no_message_still_raises_empty_at_the_time_limit_and_no_limit_waits_in_slices():
    poll_kernel_channels_in_slices()
    socket = MissingSocket(misses=0, has_message=False)
    with pytest.raises(Empty):
        asyncio.run(channel_with(socket).get_msg(timeout=0.01))
    socket = MissingSocket(misses=5)
    assert asyncio.run(channel_with(socket).get_msg(timeout=None)) == {"msg_type": "execute_reply"}
    assert len(socket.polls) == 6 and all(t == POLL_SLICE_SECONDS * 1000 for t in socket.polls)


def test_patching_twice_keeps_one_patch():
    poll_kernel_channels_in_slices()
    first = AsyncZMQSocketChannel.get_msg
    poll_kernel_channels_in_slices()
    assert AsyncZMQSocketChannel.get_msg is first and first._polls_in_slices
