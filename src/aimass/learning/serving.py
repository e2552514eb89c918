"""The FAQ re-ranking policy as served: which FAQ a confident FAQ answer shows.

``aimass learn`` promotes a bandit policy (``bandit-policy.json`` beside the artifact) only
when off-policy evaluation says it beats the current one. The runtime then uses it here:

* without a policy file, the retrieval's top-1 is shown (the static ranker), propensity 1;
* with one, the policy re-ranks the FAQ candidates of every confident FAQ answer. With
  ``explore`` off (the CLI, tests) it always shows its best; with ``explore`` on (the
  service's default) it draws from its capped exploration distribution (at most
  ``explore_ceiling`` away from its best), so the next learning cycle can judge policies
  that disagree with it.

Either way the choice and its probability go into ``Response.faq_choice`` and so into the
stored turn, where :func:`aimass.learning.feedback.read_database` finds them: a turn the
service logged this way is never counted in ``assumed_propensity``.

The policy file is re-read when it changes on disk (a promotion by ``aimass learn`` reaches
a running service without a restart); a file that cannot be read is logged and the last
good policy keeps serving (the static ranker if there never was one).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from aimass.errors import TrainingError
from aimass.learning.bandit import Context, LinearBandit
from aimass.learning.cycle import POLICY_FILE
from aimass.learning.feedback import candidates_of
from aimass.schemas import FaqChoice, FaqMatch

log = logging.getLogger(__name__)


class FaqRanker:
    def __init__(self, policy_path: Path | None, *, explore: bool = False, seed: int = 0) -> None:
        self.policy_path = policy_path
        self.explore = explore
        self._seed = seed
        self._bandit: LinearBandit | None = None
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file loaded
        self._lock = threading.Lock()  # the bandit's random stream is not thread-safe
        self._refresh()

    @classmethod
    def beside(cls, artifact: Path, *, explore: bool = False) -> FaqRanker:
        return cls(Path(artifact) / POLICY_FILE, explore=explore)

    @property
    def policy_name(self) -> str:
        return "static" if self._bandit is None else f"bandit@{self._bandit.updates}"

    def _refresh(self) -> None:
        if self.policy_path is None:
            return
        try:
            st = self.policy_path.stat()
        except OSError:
            if self._bandit is not None:
                log.warning("bandit policy %s is gone; serving the static ranker", self.policy_path)
            self._bandit, self._stamp = None, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        try:
            bandit = LinearBandit.load(self.policy_path, seed=self._seed)
        except TrainingError as e:
            log.warning("%s: %s; the previous ranking keeps serving", e.code, e.message)
            self._stamp = stamp  # do not re-read a broken file on every message
            return
        self._bandit, self._stamp = bandit, stamp
        log.info("serving the FAQ ranking policy %s (%s)", self.policy_path, self.policy_name)

    def choose(self, faqs: Sequence[FaqMatch], tags: Sequence[str], text: str) -> FaqChoice:
        """The FAQ to show among ``faqs`` (retrieval order, best first), with its propensity.

        ``text`` and ``tags`` must be what the stored turn will hold (the redacted message,
        the tags' names): the learning cycle rebuilds the same context from them."""
        if not faqs:
            raise ValueError("choose() needs at least one FAQ candidate")
        with self._lock:
            self._refresh()
            bandit = self._bandit
            top = faqs[0].faq_id
            if bandit is None:
                return FaqChoice(policy="static", shown=top, rank=0, propensity=1.0, greedy=top)
            ctx = Context.of(
                candidates_of({"faqs": [f.model_dump(mode="json") for f in faqs]}),
                tags,
                text=text,
            )
            if self.explore:
                c = bandit.choose(ctx)
                index, p, greedy = c.index, c.propensity, c.greedy
            else:
                index = bandit.greedy().rerank(ctx)[0]
                p, greedy = 1.0, index
            return FaqChoice(
                policy=self.policy_name,
                shown=faqs[index].faq_id,
                rank=index,
                propensity=float(min(max(p, 1e-9), 1.0)),
                greedy=faqs[greedy].faq_id,
                explored=index != greedy,
            )
