"""What both torch proposers share: parameters, fitting (with cache and levers), prediction,
online updates and the teacher-forced token accuracy.

A subclass supplies the model: how to build it, how to encode one example, the batch loss,
the per-token hits for accuracy, and batched constrained decoding. Everything that decides
*which* weights come out (data, levers, seeds, cache key) lives here, once.
"""

from __future__ import annotations

import contextlib
import copy
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Generic

import torch

from proposers.base import Prediction, ProposerError
from proposers.device import configure_torch, resolve_device
from proposers.params import COMMON_DEFAULTS, check_params
from proposers.tokenize.codec import codec_for, vocab_fingerprint
from proposers.tokenize.interface import UntokenizableError, WorldCodec
from proposers.training.cache import WeightCache, code_version, content_key, digest
from proposers.training.corrupt import corrupt_filesystem, corrupt_network
from proposers.training.examples import Example, examples_from, inject_noise, self_forced
from proposers.training.trainer import Trainer
from worlds.base import A, S, StepRecord, World

REPLAY_SALT = 0x5EED

# Parameters that cannot change the fitted weights (kept out of the cache key). `device` is
# here because the key holds the device actually resolved (`auto` and `cpu` on a CPU machine
# train the same weights), not the name asked for.
_RUNTIME_ONLY = frozenset(
    {"online_lr", "online_steps", "replay", "replay_updates", "replay_batch", "threads", "cache",
     "max_edits", "max_run", "max_tokens", "device"}
)  # fmt: skip


class LearnedProposer(ABC, Generic[S, A]):
    """Template for a torch proposer (see the module docstring)."""

    name: str = "learned"
    DEFAULTS: Mapping[str, Any] = COMMON_DEFAULTS

    def __init__(self, world: World[S, A], **params: Any) -> None:
        self.world = world
        self.params = check_params(self.name, self.DEFAULTS, params)
        self.codec: WorldCodec = codec_for(world)
        self.device = resolve_device(self.params["device"])
        self.model: torch.nn.Module | None = None
        self.train_info: dict[str, Any] = {}
        self._base_state: dict[str, torch.Tensor] | None = None
        self._online: torch.optim.Optimizer | None = None
        self._replay: list[Any] = []
        self._replay_rng = random.Random(0)
        self._model_seed = 0
        self.online_updates = 0
        self._check_world()

    # -- subclass hooks ------------------------------------------------------------------
    def _check_world(self) -> None:
        """Refuse worlds the model cannot represent (a typed error at construction)."""

    @abstractmethod
    def _build_model(self) -> torch.nn.Module: ...

    @abstractmethod
    def _encode(self, ex: Example) -> Any:
        """Model input + target ids for one example; raises UntokenizableError."""

    @abstractmethod
    def _loss(self, batch: Sequence[Any]) -> torch.Tensor: ...

    @abstractmethod
    def _token_hits(self, batch: Sequence[Any]) -> tuple[int, int]:
        """(correct, total) teacher-forced argmax hits over the target tokens."""

    @abstractmethod
    def _decode(self, pairs: Sequence[tuple[Any, Any]]) -> list[tuple[tuple[int, ...], float]]:
        """Constrained greedy decodes: (generated ids, uncertainty signal) per pair."""

    # -- fitting -------------------------------------------------------------------------
    def _setup(self) -> None:
        configure_torch(self.device, self.params["threads"])

    def _corrupt(self, state: Any, rng: random.Random) -> Any:
        m = self.params["noise_magnitude"]
        if self.codec.world_name == "network":
            c: Any = self.codec
            return corrupt_network(self.world, state, rng, c.hosts, c.ports, m)
        c = self.codec
        return corrupt_filesystem(self.world, state, rng, c.names, c.words, c.modes, m)

    def _encode_all(self, examples: Sequence[Example]) -> tuple[list[Any], int]:
        encoded, skipped = [], 0
        for ex in examples:
            try:
                encoded.append(self._encode(ex))
            except UntokenizableError:
                skipped += 1
        return encoded, skipped

    def cache_spec(self, examples: Sequence[Example], seed: int) -> dict[str, Any]:
        w = self.world
        data = digest(
            part
            for ex in examples
            for part in (w.to_json(ex.state), w.action_text(ex.action), w.delta_to_json(ex.delta))
        )
        return {
            "proposer": self.name,
            "params": {k: v for k, v in self.params.items() if k not in _RUNTIME_ONLY},
            "world": [w.name, str(w.config_hash), str(getattr(w, "oracle_version", ""))],
            "vocab": vocab_fingerprint(self.codec.vocab),
            "data": data,
            "code": code_version(),
            "seed": seed,
            "device": self.device.type,
        }

    def initialize(self, seed: int) -> None:
        """Random-weight model, no training (a floor arm, and the grammar tests' adversary)."""
        self._setup()
        self._model_seed = seed
        torch.manual_seed(seed)
        self.model = self._build_model().to(self.device).eval()
        self.train_info = {"train_examples": 0, "train_iters": 0, "cache_hit": False}
        self._base_state = copy.deepcopy(self.model.state_dict())
        self.online_reset()

    def fit(self, trajectories: Sequence[Sequence[StepRecord[S, A]]], seed: int) -> None:
        self._setup()
        p = self.params
        model_seed = seed if p["model_seed"] < 0 else p["model_seed"]
        self._model_seed = model_seed
        base = examples_from(trajectories)
        if not base:
            raise ProposerError(f"{self.name}: fit needs at least one training transition")
        key = content_key(self.cache_spec(base, model_seed))
        cache = WeightCache()
        held = cache.lock(self.name, key) if p["cache"] else contextlib.nullcontext()
        with held:
            payload = cache.load(self.name, key) if p["cache"] else None
            torch.manual_seed(model_seed)
            self.model = self._build_model().to(self.device)
            if payload is not None:
                self.model.load_state_dict(payload["state_dict"])
                self.train_info = {**payload["info"], "cache_hit": True}
            else:
                info = self._train(trajectories, base, model_seed)
                self.train_info = {**info, "cache_hit": False}
                if p["cache"]:
                    state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
                    cache.store(self.name, key, {"state_dict": state, "info": self.train_info})
        self.train_info["cache_key"] = key
        self.model.eval()
        self._base_state = copy.deepcopy(self.model.state_dict())
        self.online_reset()

    def _train(
        self, trajectories: Sequence[Sequence[StepRecord[S, A]]], base: list[Example], seed: int
    ) -> dict[str, Any]:
        assert self.model is not None
        p = self.params
        examples = inject_noise(
            self.world, base, self._corrupt, prob=p["noise_prob"], seed=p["noise_seed"]
        )
        encoded, skipped = self._encode_all(examples)
        if not encoded:
            raise ProposerError(f"{self.name}: no training example is expressible in the vocab")
        trainer = Trainer(
            self.model.parameters(), lr=p["lr"], seed=seed, batch_size=p["batch_size"] or None
        )
        sf_rng = random.Random(seed)
        steps, loss = p["train_iters"], float("nan")
        for step in range(steps):
            if p["self_force"] > 0 and step % p["refresh_every"] == 0:
                prob = p["self_force"] * step / steps
                self.model.eval()
                fresh = self_forced(
                    self.world, trajectories, self._predict_deltas, sample_prob=prob, rng=sf_rng
                )
                encoded, skipped = self._encode_all(fresh)
            self.model.train()
            loss = trainer.step(partial(self._batch_loss, encoded), len(encoded))
        self.model.eval()
        return {
            "train_examples": len(encoded),
            "skipped_examples": skipped,
            "final_loss": loss,
            "train_iters": steps,
        }

    def _batch_loss(self, encoded: Sequence[Any], idx: list[int]) -> torch.Tensor:
        return self._loss([encoded[i] for i in idx])

    # -- prediction ----------------------------------------------------------------------
    def _require_model(self) -> torch.nn.Module:
        if self.model is None:
            raise ProposerError(f"{self.name}: predict/online_update called before fit")
        return self.model

    def _predict_deltas(self, pairs: list[tuple[Any, Any]]) -> list[tuple[Any, ...]]:
        return [pred.delta for pred in self.predict_batch(pairs)]

    def predict_batch(self, pairs: Sequence[tuple[Any, Any]]) -> list[Prediction]:
        model = self._require_model()
        was_training = model.training
        model.eval()
        try:
            decoded = self._decode(pairs)
        finally:
            model.train(was_training)
        return [Prediction(self.codec.parse(ids), signal) for ids, signal in decoded]

    def predict(self, state: S, action: A) -> Prediction:
        return self.predict_batch([(state, action)])[0]

    def token_accuracy(self, records: Sequence[StepRecord[S, A]]) -> float:
        """Teacher-forced argmax accuracy over target tokens (incl. `<eos>`); nan if none."""
        model = self._require_model()
        encoded, _ = self._encode_all(
            [Example(r.state, r.action, tuple(r.transition.delta)) for r in records]
        )
        if not encoded:
            return float("nan")
        model.eval()
        hits = total = 0
        with torch.no_grad():
            for i in range(0, len(encoded), 64):
                h, t = self._token_hits(encoded[i : i + 64])
                hits, total = hits + h, total + t
        return hits / total if total else float("nan")

    # -- online updates (EN5 / H7) -------------------------------------------------------
    def online_reset(self) -> None:
        """Back to the fitted weights with a fresh optimizer and an empty replay buffer."""
        model = self._require_model()
        if self._base_state is not None:
            model.load_state_dict(self._base_state)
        self._online = None
        self._replay = []
        self._replay_rng = random.Random(self._model_seed ^ REPLAY_SALT)  # replayable per rollout
        self.online_updates = 0

    def online_update(self, state: S, action: A, true_delta: Sequence[Any]) -> None:
        """Learn from one consulted transition: `online_steps` steps on it, or with `replay`,
        `replay_updates` steps on samples of every correction seen since `online_reset`."""
        model = self._require_model()
        try:
            item = self._encode(Example(state, action, tuple(true_delta)))
        except UntokenizableError:
            return
        if self._online is None:
            self._online = torch.optim.AdamW(model.parameters(), lr=self.params["online_lr"])
        p = self.params
        model.train()
        if p["replay"]:
            self._replay.append(item)
            batches = [
                self._replay_rng.sample(self._replay, min(p["replay_batch"], len(self._replay)))
                for _ in range(p["replay_updates"])
            ]
        else:
            batches = [[item]] * p["online_steps"]
        for batch in batches:
            loss = self._loss(batch)
            self._online.zero_grad(set_to_none=True)
            loss.backward()
            self._online.step()
        model.eval()
        self.online_updates += 1
