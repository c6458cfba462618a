"""Mutation tests of helpers.checks.reinforcement (notebook 11): the tests of every exercise
(tests/mutants.py) on the references and wrong versions below, then other correct
answers that must pass, the released ReplayBuffer stub, the statistical tolerances on
many seeds and messages read in full.
"""

import random

import numpy as np
import pytest
import tensorflow as tf
from scipy.signal import lfilter

from helpers.checks import reinforcement as check
from helpers.checks.core import CheckError, NotAttemptedError, counts_follow, mistakes_from

from mutants import CheckTests


# ------------------------------------------------------------ references ---

def discounted_returns(rewards, gamma, *, forwards=False, once_more=False, reverse=False,
                       like_rewards=False):
    G = np.zeros_like(rewards) if like_rewards else np.zeros(len(rewards))
    running = 0.0
    steps = range(len(rewards)) if forwards else reversed(range(len(rewards)))
    for t in steps:
        running = gamma * (rewards[t] + running) if once_more else rewards[t] + gamma * running
        G[t] = running
    return G[::-1].copy() if reverse else G


def _returns_from_the_last(rewards, gamma):
    """Starts from G[-1] = rewards[-1]: fails on an empty episode."""
    G = np.zeros(len(rewards))
    G[-1] = rewards[-1]
    for t in reversed(range(len(rewards) - 1)):
        G[t] = rewards[t] + gamma * G[t + 1]
    return G


def _returns_rescaled(rewards, gamma):
    """A vectorised form, G_t = gamma ** -t * sum_{k >= t} gamma ** k r_k (gamma 0 on its
    own): gamma ** -t overflows and gamma ** t underflows on a long episode."""
    if gamma == 0:
        return np.asarray(rewards, np.float64).copy()
    t = np.arange(len(rewards))
    with np.errstate(all="ignore"):
        return gamma ** -t * np.cumsum((gamma ** t * rewards)[::-1])[::-1]


def _returns_by_filter(rewards, gamma):
    """The discounted cumulative sum as a linear filter run backwards (Spinning Up's
    discount_cumsum): y[n] = x[n] + gamma * y[n - 1] on the reversed rewards."""
    return lfilter([1.0], [1.0, -gamma], np.asarray(rewards, np.float64)[::-1])[::-1].copy()


def _epsilon_greedy_seeding_numpy(q_values, epsilon, rng):
    """Seeds NumPy's global generator from rng and draws from it: the same actions for
    the same rng, but every later np.random draw of the program changes."""
    np.random.seed(int(rng.integers(2 ** 31)))
    if np.random.random() < epsilon:
        return int(np.random.randint(len(q_values)))
    return int(np.argmax(q_values))


def epsilon_greedy(q_values, epsilon, rng, *, greedy=np.argmax, explore_all=True, flip=False,
                   result=int, generator=None, actions=None):
    rng = generator or rng
    if rng.random() < (1.0 - epsilon if flip else epsilon):
        n = len(q_values)
        if explore_all:
            return result(rng.integers(actions or n))
        return result(rng.choice([a for a in range(n) if a != np.argmax(q_values)]))
    return result(greedy(q_values))


def q_learning_update(q, s, a, r, s_next, done, alpha, gamma, *, stop_at_end=True,
                      sarsa=False, rate=None, discount=None, row=None, in_place=True,
                      result="td", sign=1.0):
    table = q if in_place else q.copy()
    q_before = q[s, a]
    gamma = gamma if discount is None else discount
    best = q[s_next, a] if sarsa else np.max(q[s_next])
    target = r if done and stop_at_end else r + gamma * best
    row = s if row is None else row
    td = target - table[row, a]
    table[row, a] += sign * (alpha if rate is None else rate) * td
    return {"td": td, "table": table, "target": target, "after": target - table[row, a],
            "new": table[row, a], "change": table[row, a] - q_before, "minus": -td,
            "none": None}[result]


def make_replay_buffer(*, sampling="uniform", slot="oldest", count_all=False,
                       filled_only=True, aligned=True, replace=False, seeded=True,
                       check_size=True, keys=("obs", "actions", "rewards", "next_obs",
                                              "terminated"), as_dict=True):
    """A ReplayBuffer class; the switches make known wrong versions of it."""

    class ReplayBuffer:
        def __init__(self, capacity, observation_shape, seed=0):
            self.capacity = capacity
            self.obs = np.zeros((capacity, *observation_shape), dtype=np.float32)
            self.next_obs = np.zeros_like(self.obs)
            self.actions = np.zeros(capacity, dtype=np.int64)
            self.rewards = np.zeros(capacity, dtype=np.float32)
            self.terminated = np.zeros(capacity, dtype=bool)
            self.seed = seed if seeded else 0
            self.rng = np.random.default_rng(self.seed)
            self.index = 0
            self.size = 0
            self.adds = 0

        def __len__(self):
            return self.adds if count_all else self.size

        def add(self, obs, action, reward, next_obs, terminated):
            self.adds += 1
            full = self.size == self.capacity
            if full and slot == "never":
                return
            i = self.capacity - 1 if full and slot == "last" else self.index
            self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
            self.next_obs[i], self.terminated[i] = next_obs, terminated
            self.index = (self.index + 1) % self.capacity
            self.size = min(self.size + 1, self.capacity)

        def sample(self, batch_size):
            if check_size and batch_size > len(self):
                raise ValueError(f"batch_size {batch_size} > {len(self)} stored")
            n = self.size if filled_only else self.capacity
            if sampling == "first":
                idx = np.arange(min(batch_size, n))
            elif sampling == "fresh rng":
                idx = np.random.default_rng(self.seed).choice(n, batch_size, replace=False)
            elif sampling == "global":
                idx = np.random.choice(n, batch_size, replace=False)
            elif sampling == "reseeded global":  # seeds NumPy's global generator once
                if not hasattr(self, "reseeded"):
                    np.random.seed(self.seed)
                    self.reseeded = True
                idx = np.random.choice(n, batch_size, replace=False)
            elif sampling == "reseeded random":  # seeds Python's random module once
                if not hasattr(self, "reseeded"):
                    random.seed(self.seed)
                    self.reseeded = True
                idx = np.array(random.sample(range(n), batch_size))
            elif sampling == "recent":
                weights = np.arange(1.0, n + 1)
                idx = self.rng.choice(n, batch_size, replace=False, p=weights / weights.sum())
            else:
                idx = self.rng.choice(n, min(batch_size, n), replace=replace)
            fields = (self.obs[idx], self.actions[np.roll(idx, 0 if aligned else 1)],
                      self.rewards[idx], self.next_obs[idx], self.terminated[idx])
            return dict(zip(keys, fields)) if as_dict else fields

    return ReplayBuffer


def dqn_targets(rewards, next_q, terminated, truncated, gamma, *, use_terminated=True,
                use_truncated=False, axis=1, discount=None, reduce=np.max, mask_reward=False):
    best = reduce(next_q, axis=axis)
    ended = (terminated if use_terminated else np.zeros_like(terminated)) | \
        (truncated if use_truncated else np.zeros_like(truncated))
    gamma = gamma if discount is None else discount
    target = rewards + gamma * best * (1.0 - ended)
    return target * (1.0 - terminated) if mask_reward else target


def reinforce_loss(log_probs, returns, *, sign=-1.0, reduce=tf.reduce_mean, weight=None,
                   constant=False):
    weighted = (weight(log_probs) if weight else log_probs) * returns
    loss = sign * reduce(weighted)
    return tf.constant(loss.numpy()) if constant else loss


REFERENCES = {
    "discounted_returns": discounted_returns,
    "epsilon_greedy": epsilon_greedy,
    "q_learning_update": q_learning_update,
    "ReplayBuffer": make_replay_buffer(),
    "dqn_targets": dqn_targets,
    "reinforce_loss": reinforce_loss,
}

#: A generator of its own, shared by every call: draws that ignore the caller's rng.
_OWN_GENERATOR = np.random.default_rng(123)


# ---------------------------------------------------------------- mutants ---

MUTANTS = [
    # discounted_returns
    ("discounted_returns", lambda *a: discounted_returns(*a, forwards=True),
     r"case '4 rewards by hand, gamma 0.9'.*accumulated forwards"),
    ("discounted_returns", lambda *a: discounted_returns(*a, once_more=True),
     "gamma applied once too often"),
    ("discounted_returns", lambda r, g: discounted_returns(r, 1.0), "no discount"),
    ("discounted_returns", lambda *a: discounted_returns(*a, reverse=True),
     "the returns in reversed order"),
    ("discounted_returns", lambda r, g: np.cumsum((g ** np.arange(len(r)) * r)[::-1])[::-1],
     "discounted from the start of the episode"),
    ("discounted_returns", _returns_from_the_last,
     (r"(?s)case 'empty episode \(T = 0\)': your function raised IndexError.*"
      r"an episode of length 0 has no returns")),
    ("discounted_returns", lambda *a: discounted_returns(*a, like_rewards=True),
     "case 'integer rewards, gamma 0.5': expected floating-point values, received dtype int64"),
    ("discounted_returns", lambda *a: discounted_returns(*a).astype(np.float32),
     "expected dtype float64, received float32"),
    ("discounted_returns", lambda *a: list(discounted_returns(*a)), "expected a NumPy array"),
    ("discounted_returns", _returns_rescaled,
     r"(?s)case 'a long episode: 600 random rewards, gamma 0.3'.*NaN or infinite.*"
     r"powers of gamma leave float64's range"),
    ("discounted_returns", lambda r, g: r if g == 0 else discounted_returns(r, g),
     r"case 'gamma 0: each return is its own reward'.*returned the input `r` itself"),
    # epsilon_greedy
    ("epsilon_greedy", lambda q, e, rng: int(np.argmax(q)), "common mistake: never explores"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, flip=True),
     "case 'epsilon 0: always the greedy action'.*epsilon used the wrong way round"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, explore_all=False),
     "case 'epsilon 0.3, 4 actions'.*explores only among the non-greedy actions"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, greedy=np.argmin),
     r"picks the worst action \(argmin\)"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, greedy=lambda q: len(q) - 1 - np.argmax(
        q[::-1])), "a tie broken towards the last index"),
    ("epsilon_greedy", lambda q, e, rng: epsilon_greedy(q, e, rng, greedy=lambda v: rng.choice(
        np.flatnonzero(v == v.max()))), "a tie broken at random"),
    ("epsilon_greedy", lambda q, e, rng: epsilon_greedy(q, e, rng, actions=len(q) - 1),
     ("case 'epsilon 0.3, 4 actions'.*the actions do not follow epsilon-greedy: action 3 came "
      "0.000 of the time")),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, result=float),
     r"call 1 returned \d \(a float\), expected an int action"),
    ("epsilon_greedy", lambda q, e, rng: q[epsilon_greedy(q, e, rng)],
     "common mistake: a Q-value returned instead of an action"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, result=lambda i: np.array([i])),
     r"expected an int action in \[0, 4\)"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, result=lambda i: i + 4),
     r"outside \[0, 4\) for 4 actions"),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, generator=_OWN_GENERATOR),
     "two generators made with the same seed gave different actions"),
    ("epsilon_greedy", _epsilon_greedy_seeding_numpy,
     "drawing the actions changed NumPy's or Python's global random generator"),
    # q_learning_update
    ("q_learning_update", lambda *a: q_learning_update(*a, stop_at_end=False),
     "case 'one step by hand: terminated.*bootstrapped from a terminal state"),
    ("q_learning_update", lambda *a: q_learning_update(*a, sarsa=True), "SARSA-like target"),
    ("q_learning_update", lambda *a: q_learning_update(*a, rate=1.0), "alpha ignored"),
    ("q_learning_update", lambda *a: q_learning_update(*a, discount=1.0), "gamma missing"),
    ("q_learning_update", lambda q, s, a, r, sn, *rest: q_learning_update(
        q, s, a, r, sn, *rest, row=sn), r"the wrong entry updated.*q\[s_next, a\] changed"),
    ("q_learning_update", lambda *a: q_learning_update(*a, sign=-1.0),
     "q\\[s, a\\] moved away from the target"),
    ("q_learning_update", lambda *a: q_learning_update(*a, in_place=False, result="table"),
     "common mistake: q not changed and the new table returned instead of the TD error"),
    ("q_learning_update", lambda *a: q_learning_update(*a, in_place=False),
     r"common mistake: q not changed: the update must change the caller's array in place"),
    ("q_learning_update", lambda *a: q_learning_update(*a, result="target"),
     "the returned TD error.*the target returned instead of the TD error"),
    ("q_learning_update", lambda *a: q_learning_update(*a, result="after"),
     "the TD error computed after the update"),
    ("q_learning_update", lambda *a: q_learning_update(*a, result="new"),
     r"the new q\[s, a\] returned instead of the TD error"),
    ("q_learning_update", lambda *a: q_learning_update(*a, result="change"),
     r"alpha \* TD error returned \(the change of q\[s, a\]\)"),
    ("q_learning_update", lambda *a: q_learning_update(*a, result="minus"),
     r"the sign of the TD error: it is target - q\[s, a\]"),
    ("q_learning_update", lambda *a: q_learning_update(*a, result="none"),
     "your function returned None"),
    # ReplayBuffer
    ("ReplayBuffer", make_replay_buffer(sampling="first"),
     "case 'two calls of sample.*both calls returned the same batch"),
    ("ReplayBuffer", make_replay_buffer(sampling="fresh rng"),
     "both calls returned the same batch"),
    ("ReplayBuffer", make_replay_buffer(slot="last"), "it always overwrites the last slot"),
    ("ReplayBuffer", make_replay_buffer(slot="never"), "it never overwrites"),
    ("ReplayBuffer", make_replay_buffer(count_all=True),
     r"(?s)common mistake: len counts every add.*"
     r"after 7 adds to a buffer of capacity 6, len\(buffer\) is 7\."),
    ("ReplayBuffer", make_replay_buffer(filled_only=False),
     "case '5 adds to capacity 8'.*is all zeros: a slot that holds no transition yet"),
    ("ReplayBuffer", make_replay_buffer(aligned=False), "the fields are misaligned"),
    ("ReplayBuffer", make_replay_buffer(replace=True), r"more than once"),
    ("ReplayBuffer", make_replay_buffer(seeded=False), "seeds 4 and 5 gave the same batches"),
    ("ReplayBuffer", make_replay_buffer(sampling="global"),
     "sampling a buffer changed NumPy's or Python's global random generator: the code seeds "
     r"it \(np.random.seed, random.seed\) or draws from it"),
    ("ReplayBuffer", make_replay_buffer(sampling="recent"), "the samples are not uniform"),
    ("ReplayBuffer", make_replay_buffer(sampling="reseeded global"),
     "case 'the seed decides the batches'.*changed NumPy's or Python's global random generator"),
    ("ReplayBuffer", make_replay_buffer(sampling="reseeded random"),
     "case 'the seed decides the batches'.*changed NumPy's or Python's global random generator"),
    ("ReplayBuffer", make_replay_buffer(check_size=False),
     (r"sample\(1\) from an empty buffer cannot return a transition, so your function must "
      r"raise ValueError")),
    ("ReplayBuffer", make_replay_buffer(as_dict=False), "expected a dict"),
    ("ReplayBuffer", make_replay_buffer(keys=("obs", "action", "reward", "next_obs", "done")),
     "has no key\\(s\\) 'actions', 'rewards', 'terminated'"),
    # dqn_targets
    ("dqn_targets", lambda *a: dqn_targets(*a, use_terminated=False),
     "bootstrapping through termination"),
    ("dqn_targets", lambda *a: dqn_targets(*a, use_truncated=True),
     "case '4 transitions by hand.*a truncated episode treated as terminal"),
    ("dqn_targets", lambda *a: dqn_targets(*a, axis=0),
     r"(?s)case '4 transitions by hand.*raised ValueError.*next_q.max\(axis=1\)"),
    ("dqn_targets", lambda r, nq, *a: dqn_targets(r, nq, *a, axis=0 if nq.shape[0] == nq.shape[1]
                                                  else 1),
     r"case '3 transitions, 3 actions.*the max over the batch \(axis 0\)"),
    ("dqn_targets", lambda *a: dqn_targets(*a, discount=1.0), "gamma missing"),
    ("dqn_targets", lambda *a: dqn_targets(*a, reduce=np.mean),
     "the mean over actions instead of the max"),
    ("dqn_targets", lambda *a: dqn_targets(*a, mask_reward=True),
     r"\(1 - terminated\) on the reward too"),
    ("dqn_targets", lambda *a: dqn_targets(*a)[:, None], r"wrong shape"),
    ("dqn_targets", lambda r, nq, te, tr, g: r if te.all() else dqn_targets(r, nq, te, tr, g),
     r"case 'all 4 terminated and truncated'.*returned the input `r` itself"),
    # reinforce_loss
    ("reinforce_loss", lambda *a: reinforce_loss(*a, sign=1.0), "the sign flipped"),
    ("reinforce_loss", lambda *a: reinforce_loss(*a, reduce=tf.reduce_sum),
     "the sum instead of the mean"),
    ("reinforce_loss", lambda *a: reinforce_loss(*a, weight=tf.math.log),
     "the log taken again"),
    ("reinforce_loss", lambda *a: reinforce_loss(*a, weight=tf.exp),
     "probabilities instead of log-probabilities"),
    ("reinforce_loss", lambda lp, G: -tf.reduce_mean(lp), "the returns ignored"),
    ("reinforce_loss", lambda lp, G: -(np.asarray(lp) * np.asarray(G)).mean(),
     "case '16 steps as float32 tensors.*not a tensor: no gradient can reach log_probs"),
    ("reinforce_loss", lambda *a: reinforce_loss(*a, constant=True),
     "no gradient reaches log_probs"),
    ("reinforce_loss", lambda lp, G: -(lp * G), "expected a single number"),
    # T read statically: fine eagerly, None in pg_train_step's trace.
    ("reinforce_loss", lambda lp, G: -tf.reduce_sum(lp * G) / len(G),
     r"(?s)case '16 steps inside tf.function, T unknown.*keras.ops.shape\(x\)\[0\]"),
    ("reinforce_loss", lambda lp, G: -tf.reduce_sum(lp * G) / lp.shape[0],
     r"(?s)case '16 steps inside tf.function, T unknown.*keras.ops.shape\(x\)\[0\]"),
    # The right loss whose gradient is flipped, or T times too large (stop_gradient terms).
    ("reinforce_loss", lambda lp, G: -tf.reduce_mean((2 * tf.stop_gradient(lp) - lp) * G),
     "the gradient with respect to log_probs: .*the sign flipped: the gradient must be"),
    ("reinforce_loss", lambda lp, G: -tf.reduce_mean(
        (tf.stop_gradient(lp) + len(G) * (lp - tf.stop_gradient(lp))) * G),
     "the gradient with respect to log_probs: .*the sum instead of the mean: the gradient"),
]


#: Messages read in full: (exercise, wrong version, the message's start, texts it holds).
MESSAGES = [
    ("dqn_targets", lambda *a: dqn_targets(*a, use_truncated=True),
     "11.5 dqn_targets, case '4 transitions by hand: one terminated, one truncated, gamma "
     "0.9': your result matches a common mistake: a truncated episode treated as terminal",
     ["expected:", "received:"]),
    ("epsilon_greedy", lambda *a: epsilon_greedy(*a, explore_all=False),
     "11.2 epsilon_greedy, case 'epsilon 0.3, 4 actions'",
     ["expected probabilities: [0.075 0.075 0.775 0.075]", "frequencies in 3000 tries: ["]),
    ("ReplayBuffer", make_replay_buffer(slot="last"), "11.4 ReplayBuffer, case ",
     ["common mistake: it always overwrites the last slot", "after 7 adds to capacity 6:",
      "expected: transitions [1, 2, 3, 4, 5, 6]", "stored:   transitions [0, 1, 2, 3, 4, 6]"]),
]


class TestChecks(CheckTests):
    """The tests of every exercise (tests/mutants.py) on these references and mutants."""

    check_module, references, mutants, messages = check, REFERENCES, MUTANTS, MESSAGES


# ------------------------------------------------------- other right answers ---

class _PythonRandomBuffer(make_replay_buffer()):
    """Another right buffer: its own random.Random(seed), not the random module's."""

    def __init__(self, capacity, observation_shape, seed=0):
        super().__init__(capacity, observation_shape, seed)
        self.rng = random.Random(seed)

    def sample(self, batch_size):
        if batch_size > len(self):
            raise ValueError("not enough transitions")
        idx = np.array(self.rng.sample(range(len(self)), batch_size))
        return {"obs": self.obs[idx], "actions": self.actions[idx], "rewards": self.rewards[idx],
                "next_obs": self.next_obs[idx], "terminated": self.terminated[idx]}


class _DequeFreeBuffer:
    """Another right buffer: the slot from the count of adds, sorted batches, float64."""

    def __init__(self, capacity, observation_shape, seed=0):
        self.capacity, self.count = capacity, 0
        self.data = {"obs": np.zeros((capacity, *observation_shape)),
                     "actions": np.zeros(capacity, dtype=np.int32),
                     "rewards": np.zeros(capacity),
                     "next_obs": np.zeros((capacity, *observation_shape)),
                     "terminated": np.zeros(capacity, dtype=bool)}
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return min(self.count, self.capacity)

    def add(self, obs, action, reward, next_obs, terminated):
        for key, value in zip(self.data, (obs, action, reward, next_obs, terminated)):
            self.data[key][self.count % self.capacity] = value
        self.count += 1

    def sample(self, batch_size):
        if batch_size > len(self):
            raise ValueError("not enough transitions")
        idx = np.sort(self.rng.permutation(len(self))[:batch_size])
        return {key: value[idx] for key, value in self.data.items()}


def test_other_correct_answers_pass(capsys):
    check.discounted_returns(lambda r, g: np.array(
        [sum(g ** k * x for k, x in enumerate(r[t:])) for t in range(len(r))], dtype=float))
    check.discounted_returns(_returns_by_filter)
    check.epsilon_greedy(lambda q, e, rng: rng.choice(len(q)) if rng.random() < e
                         else np.argmax(q))
    check.q_learning_update(lambda q, s, a, r, sn, done, alpha, gamma: _update_and_return(
        q, s, a, (r if done else r + gamma * q[sn].max()) - q[s, a], alpha))
    check.ReplayBuffer(_DequeFreeBuffer)
    check.ReplayBuffer(_PythonRandomBuffer)
    check.dqn_targets(lambda r, nq, term, trunc, g: np.where(term, r, r + g * nq.max(axis=1)))
    check.reinforce_loss(lambda lp, G: -tf.reduce_mean(
        tf.convert_to_tensor(lp) * tf.stop_gradient(tf.cast(G, tf.convert_to_tensor(lp).dtype))))
    check.reinforce_loss(lambda lp, G: -tf.reduce_sum(lp * G) / tf.cast(tf.shape(lp)[0],
                                                                         lp.dtype))
    assert capsys.readouterr().out.count("passed") == 9


def _update_and_return(q, s, a, td, alpha):
    q[s, a] += alpha * td
    return np.array(td)  # a 0-d array


def test_the_released_replay_buffer_stub_is_not_attempted():
    """The notebook gives __init__ and __len__; add and sample hold the stub."""

    class ReplayBuffer(make_replay_buffer()):
        def add(self, obs, action, reward, next_obs, terminated):
            raise NotImplementedError()

        def sample(self, batch_size):
            raise NotImplementedError()

    with pytest.raises(NotAttemptedError, match="^11.4 ReplayBuffer: not attempted yet"):
        check.ReplayBuffer(ReplayBuffer)

    class OnlyAdd(make_replay_buffer()):
        def sample(self, batch_size):
            raise NotImplementedError()

    with pytest.raises(NotAttemptedError, match="^11.4 ReplayBuffer: not attempted yet"):
        check.ReplayBuffer(OnlyAdd)


def test_a_buffer_without_a_method_is_told_which():
    class NoSample:
        def __init__(self, capacity, observation_shape, seed=0):
            pass

        def __len__(self):
            return 0

    with pytest.raises(CheckError, match="your ReplayBuffer has no method sample"):
        check.ReplayBuffer(NoSample)


# ------------------------------------------------------ sampling tolerance ---

@pytest.mark.parametrize("case, q_values, epsilon, _, draws", check._epsilon_greedy_cases())
def test_epsilon_tolerance_never_fails_right_draws_and_tells_mistakes_apart(
        case, q_values, epsilon, _, draws):
    """On 300 seeds: right draws always pass; draws of each mistake never pass as right."""
    probs = check._epsilon_greedy_probs(q_values, epsilon)
    mistakes = {name: p for name, p in mistakes_from(check._epsilon_greedy_answer,
                                                     check._EPSILON_GREEDY_MISTAKES,
                                                     q_values, epsilon).items()
                if not np.allclose(p, probs, atol=0.02)}
    for seed in range(300):
        rng = np.random.default_rng(seed)
        counts = np.bincount(rng.choice(len(probs), size=draws, p=probs), minlength=len(probs))
        assert counts_follow(counts, draws, probs), (case, seed, counts)
        for name, p in mistakes.items():
            wrong = np.bincount(rng.choice(len(p), size=draws, p=p), minlength=len(p))
            assert not counts_follow(wrong, draws, probs), (case, seed, name)
            assert counts_follow(wrong, draws, p), (case, seed, name)


def test_buffer_uniformity_tolerance_never_fails_right_samples():
    """On 200 seeds, 2000 uniform batches of 5 from 20 always pass; most-recent-weighted
    sampling (the `recent` wrong version) never does."""
    probs = np.full(20, 5 / 20)
    weights = np.arange(1.0, 21)
    for seed in range(200):
        rng = np.random.default_rng(seed)
        batches = rng.random((2000, 20)).argsort(axis=1)[:, :5]
        assert counts_follow(np.bincount(batches.ravel(), minlength=20), 2000, probs), seed
        # Weighted sampling without replacement, vectorised: the top 5 of log w + Gumbel noise.
        recent = (np.log(weights) + rng.gumbel(size=(2000, 20))).argsort(axis=1)[:, -5:]
        assert not counts_follow(np.bincount(recent.ravel(), minlength=20), 2000, probs), seed


# ---------------------------------------------------------- messages in full ---


def test_a_q_update_message_names_the_step_and_the_transition():
    def late(q, s, a, r, s_next, done, alpha, gamma):
        return q_learning_update(q, s, a, r, s_next, done, alpha, gamma, rate=alpha * (s != 2))

    with pytest.raises(CheckError) as info:
        check.q_learning_update(late)
    message = str(info.value)
    assert "case 's_next == s: the max is over the row before the update', q after " \
           "(s, a, r, s_next, done) = (2, 1, 0.5, 2, False)" in message

