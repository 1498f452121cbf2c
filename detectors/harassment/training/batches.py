"""Batches for training on CPU: padded tensors, and batches of similar lengths."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any


def pad(rows: Sequence[Sequence[int]]) -> tuple[Any, Any]:
    """Token id rows padded with zeros to the longest, and their attention mask."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(list(r))
        mask[i, : len(r)] = 1
    return ids, mask


def length_bucketed(
    encoded: Sequence[Sequence[int]], batch_size: int, rng: random.Random
) -> list[list[int]]:
    """One epoch of batches whose members have similar lengths, in random order.

    Examples are shuffled, cut into pools of 50 batches, each pool sorted by length and cut into
    batches, and the batches shuffled: every batch is still a random draw, but pads to about its
    own members' length instead of the longest tweet in the set (about half the work here).
    """
    order = list(range(len(encoded)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(encoded[i]))
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches
