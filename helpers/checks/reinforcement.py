"""Checks for notebook 11, reinforcement learning: discounted returns, epsilon-greedy
action selection, the tabular Q-learning update, a replay buffer, DQN targets and the
REINFORCE loss.

The oracles are values worked by hand and closed forms written differently from the
code a student writes: the returns as a matrix of discount powers times the rewards
(not the backward recursion), the Q-learning and DQN targets from their definitions.
They are hand-written because no library computes these on their own (gymnasium
simulates environments; it has no learning code). The REINFORCE loss's gradient comes
from TensorFlow's autodiff (`tf.GradientTape`).

The two randomised exercises are checked statistically, since a student may draw
random numbers in any order: `epsilon_greedy` is called thousands of times and
`ReplayBuffer.sample` samples thousands of batches, from fixed seeds (so a check
always gives the same verdict for the same code), and every frequency must lie within
5 binomial standard deviations of its probability. Exact rules come on top: with
epsilon 0 every action is the greedy one, the same seed gives the same draws, a
buffer filled past its capacity holds exactly its newest transitions. Known wrong
distributions (never exploring, epsilon the wrong way round, ...) are named.

Example:

>>> from helpers.checks import reinforcement as check
>>> check.discounted_returns(discounted_returns)
11.1 discounted_returns: all 8 cases passed
"""

import math
import random

import numpy as np

from helpers.checks import tensor_modes
from helpers.checks.core import (compare_frequencies, describe, exercise, import_tensorflow,
                                 is_int, mistakes_from, random_values,
                                 require_global_generators_untouched, require_own_randomness)

__all__ = ["discounted_returns", "epsilon_greedy", "q_learning_update", "ReplayBuffer",
           "dqn_targets", "reinforce_loss"]

# ---------------------------------------------------- discounted_returns ---

def _returns_by_powers(rewards, gamma):
    """G = D r with D[t, k] = gamma ** (k - t) for k >= t, else 0: the definition
    G_t = sum_k gamma^k r_{t+k} as one matrix product, not the recursion."""
    steps = np.arange(len(rewards))
    lag = steps[None, :] - steps[:, None]
    powers = np.where(lag >= 0, float(gamma) ** np.maximum(lag, 0), 0.0)
    return powers @ np.asarray(rewards, np.float64)


def _discounted_returns_answer(rewards, gamma, *, forwards=False, once_more=False,
                               discount=True, from_start=False, reverse=False):
    """The returns G_t = r_t + gamma * G_{t+1} of one episode by the recursion, in float64,
    with switches for the known mistakes.

    Args:
        rewards, gamma: the episode's rewards and the discount.
        forwards: True runs the recursion from the first step (G_t = r_t + gamma * G_{t-1}).
        once_more: True discounts the reward of step t too (G_t = gamma * (r_t + G_{t+1})).
        discount: False leaves gamma out.
        from_start: True discounts each reward from the start of the episode,
            G_t = sum over k >= t of gamma ** k * r_k.
        reverse: True returns the returns in reversed order.
    """
    rewards = np.asarray(rewards, np.float64)
    gamma = gamma if discount else 1.0
    returns, running = np.zeros(len(rewards)), 0.0
    for t in range(len(rewards)) if forwards else reversed(range(len(rewards))):
        if from_start:
            running += gamma ** t * rewards[t]
        elif once_more:
            running = gamma * (rewards[t] + running)
        else:
            running = rewards[t] + gamma * running
        returns[t] = running
    return returns[::-1] if reverse else returns


_DISCOUNTED_RETURNS_MISTAKES = {
    "accumulated forwards (G_t = r_t + gamma * G_{t-1}): a return sums the rewards "
    "from step t to the end, so the recursion runs backwards from the last step":
        {"forwards": True},
    "gamma applied once too often (G_t = gamma * (r_t + G_{t+1})): the reward of "
    "step t itself is not discounted": {"once_more": True},
    "no discount: gamma is missing, every reward counts in full": {"discount": False},
    "the returns in reversed order: G[0] is the return from the first step, the sum "
    "over the whole episode": {"reverse": True},
    "discounted from the start of the episode (gamma ** k on the reward of step k): "
    "the discount counts the steps after t, gamma ** (k - t)": {"from_start": True},
}


def _discounted_returns_cases():
    """(case, rewards, gamma, expected or None for the matrix of discount powers) for 11.1."""
    return [
        # G_3 = 2, G_2 = 0.9 * 2, G_1 = 0.9 * 1.8, G_0 = 1 + 0.9 * 1.62.
        ("4 rewards by hand, gamma 0.9", np.array([1.0, 0.0, 0.0, 2.0]), 0.9,
         np.array([2.458, 1.62, 1.8, 2.0])),
        ("gamma 1: plain sums to the end", np.ones(4), 1.0, np.array([4.0, 3.0, 2.0, 1.0])),
        ("gamma 0: each return is its own reward", np.array([0.5, -1.0, 2.0]), 0.0,
         np.array([0.5, -1.0, 2.0])),
        ("one step", np.array([3.0]), 0.9, np.array([3.0])),
        ("20 random rewards, gamma 0.99", random_values(11, 20), 0.99, None),
        # G_4 = 1, G_3 = 0.5, G_2 = 0.25, G_1 = 1 + 0.125, G_0 = 0.5 * 1.125.
        ("integer rewards, gamma 0.5", np.array([0, 1, 0, 0, 1]), 0.5,
         np.array([0.5625, 1.125, 0.25, 0.5, 1.0])),
        ("empty episode (T = 0)", np.zeros(0), 0.9, np.zeros(0)),
        # gamma ** 600 underflows to 0 and gamma ** -600 overflows to inf in float64.
        ("a long episode: 600 random rewards, gamma 0.3", random_values(12, 600), 0.3, None),
    ]


_LONG_EPISODE_HINT = (
    "on a long episode with a small gamma, powers of gamma leave float64's range: "
    "0.3 ** 600 underflows to 0 and 0.3 ** -600 overflows to inf, so a form that "
    "divides by gamma ** t (or multiplies by gamma ** -t) gives NaN or inf. Use the "
    "backward recursion G_t = r_t + gamma * G_{t+1}, which only ever multiplies by gamma.")


def _explain_empty(message):
    """The extra hint when a function fails on an episode of no steps."""
    return ("an episode of length 0 has no returns: the result is an empty float array "
            "(np.zeros(0)). Start from G = np.zeros(len(rewards)) and loop over "
            "reversed(range(len(rewards))), which then does nothing.")


@exercise("11.1")
def discounted_returns(ex):
    """Checks `discounted_returns(rewards, gamma)`: the return from every step of one episode.

    `rewards` is a 1-D array of the T >= 0 rewards of an episode and 0 <= gamma <= 1;
    the result is a new float64 array of length T with
    G_t = r_t + gamma * r_{t+1} + gamma**2 * r_{t+2} + ... (the backward recursion
    G_t = r_t + gamma * G_{t+1}, G_{T-1} = r_{T-1}). Compared with values worked by hand
    and with the definition written as a matrix of discount powers, on gamma 0.9, 1, 0
    and 0.99, one step, integer rewards (the result is still float64), an empty
    episode (an empty float64 array) and a long episode, 600 steps with gamma 0.3, where
    powers of gamma leave float64's range (gamma ** 600 underflows, gamma ** -600
    overflows). The result must be a new array, not the rewards themselves or a view.
    """
    for case, rewards, gamma, expected in _discounted_returns_cases():
        if expected is None:
            expected = _returns_by_powers(rewards, gamma)
        explain = {0: _explain_empty}.get(len(rewards), lambda message: (
            _LONG_EPISODE_HINT if len(rewards) > 100 else None))
        out = ex.call_explained(case, explain, rewards, gamma, returns_new=True)
        ex.compare(case, out, expected,
                   mistakes=mistakes_from(_discounted_returns_answer,
                                          _DISCOUNTED_RETURNS_MISTAKES, rewards, gamma),
                   hint="G_t = r_t + gamma * G_{t+1}, computed from the last step backwards "
                        "(G_{T-1} = r_{T-1}); G[t] holds the return from step t.",
                   shape_hint="one return per step: an array of len(rewards) values.",
                   nonfinite_hint=_LONG_EPISODE_HINT if len(rewards) > 100 else None)
        ex.require(case, out.dtype == np.float64,
                   f"expected dtype float64, received {out.dtype}.",
                   "start from np.zeros(len(rewards)) (float64), not np.zeros_like(rewards), "
                   "which keeps the rewards' dtype.")


# -------------------------------------------------------- epsilon_greedy ---

def _global_generators():
    """The states of NumPy's and Python's global random generators."""
    return np.random.get_state(), random.getstate()


_GLOBAL_GENERATORS_HINT = ("every random number must come from the generator you are "
                           "given (rng, or the buffer's own self.rng): NumPy's and Python's "
                           "global generators belong to the rest of the program.")


#: Calls per statistical case of 11.2: enough to tell the known mistakes apart at 5 sigma.
DRAWS = 3000


def _epsilon_greedy_probs(q_values, epsilon):
    n = len(q_values)
    probs = np.full(n, epsilon / n)
    probs[np.argmax(q_values)] += 1.0 - epsilon
    return probs


def _epsilon_greedy_answer(q_values, epsilon, *, explore=True, flip=False, explore_all=True,
                           greedy="first maximum"):
    """The probability of each action under epsilon-greedy, with switches for the known
    mistakes.

    Args:
        q_values, epsilon: as for epsilon_greedy.
        explore: False never explores.
        flip: True explores with probability 1 - epsilon.
        explore_all: False draws the random action among the non-greedy ones only.
        greedy: the greedy action: "first maximum" (right, like np.argmax), "last maximum",
            "any maximum" (a tie broken at random) or "minimum".
    """
    n = len(q_values)
    tied = np.flatnonzero(q_values == np.max(q_values))
    best = {"first maximum": np.eye(n)[tied[0]], "last maximum": np.eye(n)[tied[-1]],
            "any maximum": np.bincount(tied, minlength=n) / len(tied),
            "minimum": np.eye(n)[np.argmin(q_values)]}[greedy]
    explored = (1.0 - epsilon if flip else epsilon) if explore else 0.0
    random_action = np.full(n, 1.0 / n) if explore_all else (1.0 - best) / (n - 1)
    return (1.0 - explored) * best + explored * random_action


_EPSILON_GREEDY_MISTAKES = {
    "never explores: with probability epsilon the action must be a random one":
        {"explore": False},
    "epsilon used the wrong way round: it explores with probability 1 - epsilon; "
    "epsilon is the probability of a random action": {"flip": True},
    "explores only among the non-greedy actions: the random action is drawn from all "
    "num_actions actions, the greedy one included": {"explore_all": False},
    "picks the worst action (argmin): the greedy action has the highest Q-value "
    "(np.argmax)": {"greedy": "minimum"},
    "a tie broken towards the last index: np.argmax returns the first, lowest "
    "index of equal maxima": {"greedy": "last maximum"},
    "a tie broken at random: np.argmax returns the first, lowest index of equal "
    "maxima": {"greedy": "any maximum"},
}


def _action(ex, case, q_values, epsilon, rng, number, copy_inputs=False):
    """Calls the student's function once; fails unless it returns an action index."""
    __tracebackhide__ = True
    n = len(q_values)
    action = ex.call(case, q_values, epsilon, rng, copy_inputs=copy_inputs)
    if is_int(action) and 0 <= action < n:
        return int(action)
    where = f"call {number} returned {describe(action)}"
    if isinstance(action, (float, np.floating)) and np.any(np.isclose(action, q_values)) \
            and action != int(action):
        ex.fail_mistake(case, "a Q-value returned instead of an action", f"{where}.",
                        "return the index of the action (np.argmax(q_values) gives the index; "
                        "np.max gives the value).")
    if not is_int(action):
        ex.fail(case, f"{where}, expected an int action in [0, {n}).",
                "return one action index as a Python or NumPy int, not a float or an "
                "array (convert with int(...)).")
    ex.fail(case, f"{where}, outside [0, {n}) for {n} actions.",
            "actions are indices into q_values, from 0 to num_actions - 1.")


def _actions(ex, case, q_values, epsilon, seed, n):
    """Calls the student's function `n` times with one generator; returns the actions."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    # No copies: every call must advance the same generator (the first call of the check,
    # with copies, proved that the function leaves its inputs unchanged).
    return np.array([_action(ex, case, q_values, epsilon, rng, number + 1)
                     for number in range(n)])


def _epsilon_greedy_cases():
    """(case, q_values, epsilon, seed, draws) for 11.2, exact rules first."""
    return [
        ("epsilon 0: always the greedy action", np.array([0.2, 1.5, -0.3, 0.7]), 0.0, 30, 200),
        ("epsilon 0, a tie: the lowest index", np.array([0.5, 2.0, 2.0, -1.0]), 0.0, 31, 200),
        ("epsilon 0.3, 4 actions", np.array([-0.4, 0.1, 0.9, 0.3]), 0.3, 32, DRAWS),
        ("epsilon 1: every action equally likely", np.array([1.0, -2.0, 0.5]), 1.0, 33, DRAWS),
        ("epsilon 0.1, 6 actions, all Q-values negative",
         np.array([-3.2, -1.1, -2.5, -0.7, -4.0, -1.9]), 0.1, 34, DRAWS),
    ]


@exercise("11.2")
def epsilon_greedy(ex):
    """Checks `epsilon_greedy(q_values, epsilon, rng)` statistically.

    `q_values` is a 1-D float array (num_actions,), 0 <= epsilon <= 1 and `rng` a
    `np.random.Generator`. With probability epsilon the result is an action drawn
    uniformly from all num_actions actions (the greedy one included), otherwise the
    greedy action np.argmax(q_values) (ties go to the lowest index); it is one int (a
    Python or NumPy int), drawn with `rng` only, and `q_values` is not changed. The
    check calls the function 3000 times per case with one seeded generator and
    requires every action's frequency to lie within 5 binomial standard deviations of
    its probability, (1 - epsilon) + epsilon / n for the greedy action and
    epsilon / n for the others; with epsilon 0 every action must be the greedy one.
    Two generators made with the same seed must give the same actions, whatever the
    seeds of NumPy's and Python's global generators, and generators of two seeds other
    actions (`core.require_own_randomness`), and the function leaves NumPy's and
    Python's global generators as they were (no np.random.seed, no np.random.* draws).
    """
    # One call with copied inputs: the type of the result, inputs left unchanged.
    case = "one call: 4 actions, epsilon 0.5"
    _action(ex, case, np.array([0.2, 1.5, -0.3, 0.7]), 0.5, np.random.default_rng(0), 1,
            copy_inputs=True)
    for case, q_values, epsilon, seed, draws in _epsilon_greedy_cases():
        probs = _epsilon_greedy_probs(q_values, epsilon)
        counts = np.bincount(_actions(ex, case, q_values, epsilon, seed, draws),
                             minlength=len(q_values))
        compare_frequencies(
            ex, case, counts, draws, probs,
            mistakes=mistakes_from(_epsilon_greedy_answer, _EPSILON_GREEDY_MISTAKES,
                                   q_values, epsilon),
            problem=lambda worst: f"the actions do not follow epsilon-greedy: action {worst} "
                                  f"came {counts[worst] / draws:.3f} of the time, expected "
                                  f"{probs[worst]:.3f}.",
            hint="draw u = rng.random(); if u < epsilon return rng.integers(num_actions) "
                 "(any action), else np.argmax(q_values).")
    # The randomness comes from rng, and only from it.
    case = "the actions come from rng"
    q_values = np.array([0.1, 0.0, 0.3])
    first, again = (_actions(ex, case, q_values, 0.6, 35, 30).tolist() for _ in range(2))
    ex.require(case, first == again,
               f"two generators made with the same seed gave different actions:\n  "
               f"{first}\n  {again}",
               "draw with the rng argument (rng.random(), rng.integers(...)), not with "
               "np.random.* functions, the random module or a generator of your own: the "
               "caller's generator decides the randomness, so that seeded runs repeat.")
    require_own_randomness(
        ex, case, lambda rng: [_action(ex, case, q_values, 0.6, rng, number + 1)
                               for number in range(30)], what="actions")


# ----------------------------------------------------- q_learning_update ---

def _q_target(q, r, s_next, done, gamma):
    return r if done else r + gamma * np.max(q[s_next])


def _q_learning_update_answer(q, s, a, r, s_next, done, alpha, gamma, *, result="q",
                              bootstrap="max", stop_at_end=True, discount=True,
                              use_alpha=True, sign=1.0, row="s", in_place=True):
    """One tabular Q-learning step on a copy of q, with switches for the known mistakes.

    Args:
        q, s, a, r, s_next, done, alpha, gamma: as for q_learning_update.
        result: "q" (the table after the step), or what the function returns: "td error"
            (right), "target", "new q[s, a]", "alpha * td error", "td error after the
            update" (target - the new q[s, a]) or "minus td error".
        bootstrap: the next value: "max" (right, max(q[s_next])) or "sarsa" (q[s_next, a]).
        stop_at_end: False bootstraps from a terminal state too.
        discount: False leaves gamma out.
        use_alpha: False sets the entry to the target.
        sign: -1 moves the entry away from the target.
        row: the row of the entry that changes: "s" (right) or "s_next".
        in_place: False leaves the table as it was.
    """
    best = q[s_next, a] if bootstrap == "sarsa" else np.max(q[s_next])
    target = r if done and stop_at_end else r + (gamma if discount else 1.0) * best
    i = s if row == "s" else s_next
    new = q.copy()
    if in_place:
        new[i, a] += sign * (alpha if use_alpha else 1.0) * (target - q[i, a])
    td = target - q[s, a]
    return {"q": new, "td error": td, "target": target, "new q[s, a]": new[s, a],
            "alpha * td error": alpha * td, "td error after the update": target - new[s, a],
            "minus td error": -td}[result]


_Q_LEARNING_UPDATE_MISTAKES = {  # in the table after the step
    "q not changed: the update must change the caller's array in place "
    "(q[s, a] += ...), not a copy of it": {"in_place": False},
    "SARSA-like target: Q-learning bootstraps from the best next action, "
    "max(q[s_next]), not q[s_next, a]": {"bootstrap": "sarsa"},
    "alpha ignored: q[s, a] is set to the target instead of moved a step alpha "
    "towards it": {"use_alpha": False},
    "gamma missing: the target is r + gamma * max(q[s_next])": {"discount": False},
    "q[s, a] moved away from the target: q[s, a] += alpha * (target - q[s, a])": {"sign": -1.0},
    "the wrong entry updated: only q[s, a], the action taken in the state it was taken "
    "in, changes (here q[s_next, a] changed)": {"row": "s_next"},
    "bootstrapped from a terminal state: when the episode terminated there is no "
    "next state, the target is r alone": {"stop_at_end": False},
}

_TD_ERROR_MISTAKES = {  # in the returned TD error
    "the target returned instead of the TD error": {"result": "target"},
    "the new q[s, a] returned instead of the TD error": {"result": "new q[s, a]"},
    "alpha * TD error returned (the change of q[s, a]): return the TD error itself":
        {"result": "alpha * td error"},
    "the TD error computed after the update: use q[s, a] from before":
        {"result": "td error after the update"},
    "the sign of the TD error: it is target - q[s, a]": {"result": "minus td error"},
}


def _q_learning_update_cases():
    """(case, q, steps) where each step is ((s, a, r, s_next, done), alpha, gamma, expected)
    and `expected` is (new q[s, a], TD error) worked by hand, or None for the formula."""
    q = np.array([[0.0, 1.0], [0.5, -1.0], [2.0, 0.25]])
    rng = np.random.default_rng(40)
    random_steps = [((int(rng.integers(5)), int(rng.integers(3)), float(rng.normal()),
                      int(rng.integers(5)), bool(rng.random() < 0.25)), 0.1, 0.99, None)
                    for _ in range(20)]
    random_steps[3] = ((2, 1, 1.0, 2, False), 0.1, 0.99, None)  # a self-loop
    random_steps[7] = ((4, 0, -1.0, 1, True), 0.1, 0.99, None)  # one terminal step for sure
    return [
        # target = 1 + 0.9 * max(2.0, 0.25) = 2.8; TD = 2.8 - 1.0; q = 1.0 + 0.25 * 1.8.
        ("one step by hand: not terminal", q,
         [((0, 1, 1.0, 2, False), 0.25, 0.9, (1.45, 1.8))]),
        # target = r = -1; TD = -1 - 0.5; q = 0.5 + 0.25 * -1.5.
        ("one step by hand: terminated, no bootstrap", q,
         [((1, 0, -1.0, 2, True), 0.25, 0.9, (0.125, -1.5))]),
        # target = 0.5 + 0.9 * max(2.0, 0.25) = 2.3, from the row before the update;
        # TD = 2.3 - 0.25; q = 0.25 + 0.25 * 2.05.
        ("s_next == s: the max is over the row before the update", q,
         [((2, 1, 0.5, 2, False), 0.25, 0.9, (0.7625, 2.05))]),
        ("20 steps on one random 5 x 3 table, alpha 0.1, gamma 0.99",
         random_values(41, (5, 3)), random_steps),
    ]


@exercise("11.3")
def q_learning_update(ex):
    """Checks `q_learning_update(q, s, a, r, s_next, done, alpha, gamma)`: one tabular
    Q-learning step.

    `q` is a float array (num_states, num_actions), changed in place at q[s, a] only:
    target = r if done (the episode terminated) else r + gamma * max(q[s_next]), then
    q[s, a] += alpha * (target - q[s, a]). The result is the TD error, target minus
    q[s, a] before the update, as one float. Compared with values worked by hand (a
    step, a terminal step, a self-loop s_next == s where the max is taken before the
    update) and with the formula over 20 successive steps on one table, where every
    step must change q[s, a] and nothing else.
    """
    for case, q, steps in _q_learning_update_cases():
        table = q.copy()
        for number, ((s, a, r, s_next, done), alpha, gamma, by_hand) in enumerate(steps, 1):
            before = table.copy()
            target = _q_target(before, r, s_next, done, gamma)
            td = target - before[s, a]
            expected = before.copy()
            expected[s, a] += alpha * td
            if by_hand is not None:
                expected[s, a], td = by_hand
            step = f"step {number} of {len(steps)}, " if len(steps) > 1 else ""
            where = f"{step}(s, a, r, s_next, done) = {(s, a, r, s_next, done)}"
            # No copies: the function must change the caller's table.
            out = ex.call(case, table, s, a, r, s_next, done, alpha, gamma, copy_inputs=False)
            if isinstance(out, np.ndarray) and out.shape == table.shape and \
                    np.array_equal(table, before):
                ex.fail_mistake(case, "q not changed and the new table returned instead of "
                                      "the TD error", f"after {where}.",
                                "update the caller's array in place, q[s, a] += alpha * "
                                "td_error, and return the TD error (a float): `q = q.copy()` "
                                "or building a new array leaves the caller's q as it was.")
            inputs = (before, s, a, r, s_next, done, alpha, gamma)
            ex.compare(case, table, expected, part=f"q after {where}",
                       mistakes=mistakes_from(_q_learning_update_answer,
                                              _Q_LEARNING_UPDATE_MISTAKES, *inputs),
                       hint="target = r if done else r + gamma * max(q[s_next]), computed "
                            "before q changes; then q[s, a] += alpha * (target - q[s, a]).")
            ex.compare(case, out, td, kind="scalar", part=f"the returned TD error, {where}",
                       mistakes=mistakes_from(_q_learning_update_answer, _TD_ERROR_MISTAKES,
                                              *inputs),
                       hint="the TD error is target - q[s, a], with q[s, a] from before the "
                            "update.", shape_hint="return the TD error, one float.")


# ---------------------------------------------------------- ReplayBuffer ---

_FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated")


def _transitions(numbers, shape):
    """The transitions with these numbers, by field: every field tells the number (the
    first value of obs is the number itself, actions are the numbers)."""
    numbers = np.asarray(numbers)
    offsets = np.arange(math.prod(shape)).reshape(shape) / 8
    obs = (numbers.reshape(-1, *[1] * len(shape)) + offsets).astype(np.float32)
    return {"obs": obs, "actions": numbers, "rewards": numbers + 0.5,
            "next_obs": obs + np.float32(1000), "terminated": numbers % 3 == 0}


def _method(ex, buffer, name):
    """An Exercise that calls one method of the student's buffer, counting ex's cases."""
    __tracebackhide__ = True
    bound = getattr(buffer, name, None)
    if not callable(bound):
        ex.fail("the class", f"your ReplayBuffer has no method {name}.",
                f"keep the methods of the given class: define {name} inside it.")
    return ex.sibling(bound)


def _new_buffer(ex, case, capacity, shape, seed=0):
    __tracebackhide__ = True
    return ex.call(case, capacity, shape, seed=seed)


def _length(ex, case, buffer, adds, capacity):
    """len(buffer), which must be min(adds, capacity)."""
    __tracebackhide__ = True
    length = _method(ex, buffer, "__len__").call(case)
    wanted = min(adds, capacity)
    ex.require(case, is_int(length), f"len(buffer) returned {describe(length)}, expected an int.",
               "__len__ returns how many transitions are stored, an int.")
    if length == adds and adds > capacity:
        ex.fail_mistake(case, "len counts every add, but the buffer holds at most capacity "
                              "transitions",
                        f"after {adds} adds to a buffer of capacity {capacity}, len(buffer) is "
                        f"{length}.",
                        "count stored transitions up to the capacity: size = min(size + 1, "
                        "capacity).")
    ex.require(case, length == wanted,
               f"after {adds} adds to a buffer of capacity {capacity}, len(buffer) is "
               f"{length}, expected {wanted}.",
               "len is the number of transitions stored: the adds, at most capacity.")


def _fill(ex, case, buffer, numbers, shape):
    """Adds the transitions with these numbers, one `add` call each."""
    __tracebackhide__ = True
    add = _method(ex, buffer, "add")
    fields = _transitions(numbers, shape)
    for row in range(len(numbers)):
        obs, action, reward, next_obs, terminated = (fields[key][row] for key in _FIELDS)
        add.call(case, obs, int(action), float(reward), next_obs, bool(terminated))


#: What each field of a sampled batch holds: the dtype kinds allowed, in words.
_KINDS = {"obs": ("f", "floating-point"), "actions": ("iu", "integer"),
          "rewards": ("f", "floating-point"), "next_obs": ("f", "floating-point"),
          "terminated": ("b", "bool")}


def _check_batch_form(ex, case, batch, batch_size, shape):
    """A sampled batch is a dict of five arrays of the right shapes and dtypes."""
    __tracebackhide__ = True
    what = f"sample({batch_size})"
    if not isinstance(batch, dict):
        ex.fail(case, f"{what} returned {describe(batch)}, expected a dict.",
                f"return a dict with the keys {', '.join(_FIELDS)}.")
    missing = [key for key in _FIELDS if key not in batch]
    if missing:
        ex.fail(case, f"the dict {what} returned has no key(s) "
                      f"{', '.join(map(repr, missing))}; it has {', '.join(map(repr, batch))}.",
                f"use exactly the keys {', '.join(map(repr, _FIELDS))}.")
    for key in _FIELDS:
        value = batch[key]
        wanted = (batch_size, *shape) if key in ("obs", "next_obs") else (batch_size,)
        if not isinstance(value, np.ndarray):
            ex.fail(case, f"batch[{key!r}] is {describe(value)}, expected a NumPy array.",
                    "index the stored arrays with an array of indices: self.obs[indices] "
                    "is an array.")
        if value.shape != wanted:
            ex.fail(case, f"batch[{key!r}] has shape {value.shape}, expected {wanted}.",
                    "one row per sampled transition: index each stored array with the "
                    "batch's indices.")
        if value.dtype.kind not in _KINDS[key][0]:
            ex.fail(case, f"batch[{key!r}] has dtype {value.dtype}, expected "
                          f"{_KINDS[key][1]} values.", "keep the dtypes of the arrays made in "
                                                       "__init__.")


def _batch_numbers(ex, case, batch, batch_size, shape):
    """Checks a sampled batch's form and rows; returns each row's transition number."""
    __tracebackhide__ = True
    _check_batch_form(ex, case, batch, batch_size, shape)
    what = f"sample({batch_size})"
    obs = batch["obs"].reshape(batch_size, -1)
    empty = np.flatnonzero(~obs.any(axis=1))
    if len(empty):
        ex.fail(case, f"row {empty[0]} of {what} is all zeros: a slot that holds no "
                      f"transition yet.",
                "draw indices from the filled slots only, range(len(self)), not from the "
                "whole capacity.")
    numbers = np.rint(obs[:, 0]).astype(int)
    right = _transitions(numbers, shape)
    for key in _FIELDS:
        same = (batch[key] == right[key]).reshape(batch_size, -1).all(axis=1)
        if same.all():
            continue
        row = int(np.argmin(same))
        if key == "obs":
            ex.fail(case, f"row {row} of {what} holds obs {describe(batch['obs'][row])}, "
                          f"which is none of the added observations.",
                    "store obs as given (self.obs[i] = obs) and index it like the others.")
        ex.fail(case, f"the fields are misaligned: row {row} of {what} holds the obs of "
                      f"transition {numbers[row]} but batch[{key!r}][{row}] = "
                      f"{describe(batch[key][row])}, not that transition's "
                      f"{describe(right[key][row])}.",
                "store every field of a transition at the same index in add, and index "
                "every array with the same indices in sample.")
    return numbers


def _sample(ex, case, buffer, batch_size, shape, stored=None):
    """Samples a batch; returns its transition numbers, distinct (and all in `stored`)."""
    __tracebackhide__ = True
    batch = _method(ex, buffer, "sample").call(case, batch_size)
    numbers = _batch_numbers(ex, case, batch, batch_size, shape)
    values, counts = np.unique(numbers, return_counts=True)
    if np.any(counts > 1):
        ex.fail(case, f"sample({batch_size}) holds transition(s) {values[counts > 1].tolist()} "
                      f"more than once.",
                "sample without replacement: rng.choice(len(self), size=batch_size, "
                "replace=False).")
    outside = sorted(set(values.tolist()) - set(stored)) if stored is not None else []
    if outside:
        ex.fail(case, f"sample({batch_size}) returned transition(s) {outside}, which the "
                      f"buffer no longer holds or never held (it holds {min(stored)} to "
                      f"{max(stored)}).",
                "draw indices from the filled slots, range(len(self)); once full, add "
                "replaces the oldest transition.")
    return numbers


def _replay_buffer_answer(adds, capacity, *, when_full="overwrite the oldest"):
    """The transitions a buffer holds after `adds` adds to `capacity` slots, a sorted list,
    with a switch for the known mistakes.

    Args:
        adds, capacity: as the check makes them.
        when_full: what `add` does to a full buffer: "overwrite the oldest" (right),
            "overwrite the last slot" or "nothing".
    """
    size = min(adds, capacity)
    if adds <= capacity or when_full == "overwrite the oldest":
        return list(range(adds - size, adds))
    if when_full == "overwrite the last slot":
        return list(range(size - 1)) + [adds - 1]
    return list(range(size))


_REPLAY_BUFFER_MISTAKES = {
    "it never overwrites: once full, add must replace the oldest transition":
        {"when_full": "nothing"},
    "it always overwrites the last slot: the slot after the newest one holds the "
    "oldest transition (index = (index + 1) % capacity)":
        {"when_full": "overwrite the last slot"},
}


def _check_kept(ex, case, buffer, adds, capacity, shape):
    """After `adds` adds, the buffer holds exactly the newest min(adds, capacity)."""
    __tracebackhide__ = True
    _length(ex, case, buffer, adds, capacity)
    size = min(adds, capacity)
    kept = sorted(_sample(ex, case, buffer, size, shape).tolist())
    wanted = list(range(adds - size, adds))
    if kept == wanted:
        return
    shown = f"\n  expected: transitions {wanted}\n  stored:   transitions {kept}"
    named = [description for description, wrong in mistakes_from(
        _replay_buffer_answer, _REPLAY_BUFFER_MISTAKES, adds, capacity).items() if wrong == kept]
    if named:
        ex.fail_mistake(case, named, f"after {adds} adds to capacity {capacity}:{shown}")
    ex.fail(case, f"after {adds} adds to capacity {capacity}, sample({size}) should return "
                  f"the {size} newest transitions.{shown}",
            "write each transition at self.index, then index = (index + 1) % capacity: "
            "when the buffer is full that slot holds the oldest transition.")


def _check_uniform(ex, case, buffer, numbers, batch_size, samples, shape):
    """Every stored transition is in about batch_size / len of the samples."""
    __tracebackhide__ = True
    counts = np.zeros(len(numbers))
    for _ in range(samples):
        counts[_sample(ex, case, buffer, batch_size, shape, numbers) - numbers[0]] += 1
    share = batch_size / len(numbers)
    # No known wrong distribution has a closed form (sampling that favours recent
    # transitions, say, has no simple inclusion probabilities): no mistakes to name.
    compare_frequencies(
        ex, case, counts, samples, np.full(len(numbers), share),
        problem=lambda worst: f"the samples are not uniform: transition {numbers[worst]} came "
                              f"in {int(counts[worst])} of {samples} batches of {batch_size}, "
                              f"expected about {samples * share:.0f} (every stored transition "
                              f"is equally likely).",
        hint="draw the indices uniformly, rng.choice(len(self), size=batch_size, "
             "replace=False), over all the stored transitions.")


@exercise("11.4")
def ReplayBuffer(ex):  # named like the exercise, a class
    """Checks the class `ReplayBuffer(capacity, observation_shape, seed=0)` through its
    public interface: `add(obs, action, reward, next_obs, terminated)`,
    `sample(batch_size)` and `len(buffer)`.

    `len` is the number of transitions stored, at most `capacity`; once full, `add`
    overwrites the oldest transition. `sample(batch_size)` returns a dict of NumPy
    arrays {"obs", "actions", "rewards", "next_obs", "terminated"} with one row per
    transition: obs and next_obs (batch_size, *observation_shape) floats, actions
    (batch_size,) ints, rewards (batch_size,) floats, terminated (batch_size,) bools,
    the fields of a row from one transition; the transitions are drawn uniformly
    without replacement from the stored ones, with the buffer's own generator
    `np.random.default_rng(seed)`, so that two buffers with one seed and the same adds
    give the same batches, whatever the seeds of NumPy's and Python's global
    generators, and the buffer leaves those global generators as they were (no
    np.random.seed, no draws from np.random.* or random.*). batch_size > len(buffer)
    raises ValueError.

    Every transition the check adds tells its number in every field. The check fills
    buffers of capacity 8 (5 adds) and 6 (20 adds, checking what is kept after each),
    requires exactly the newest `capacity` transitions and nothing else in the
    samples, two different batches from two calls, every stored transition in about
    batch_size / len of 2000 batches (within 5 binomial standard deviations), the
    same batches from the same seed under other global seeds, other batches from
    another seed, and the global generators untouched.
    """
    case = "a new buffer, capacity 8, observations (3,)"
    buffer = _new_buffer(ex, case, 8, (3,))
    _length(ex, case, buffer, 0, 8)
    _method(ex, buffer, "sample").call_expecting_error(
        case, ValueError, "sample(1) from an empty buffer cannot return a transition", 1,
        hint="check batch_size <= len(self) first and raise ValueError saying both.")

    case = "5 adds to capacity 8"
    _fill(ex, case, buffer, range(5), (3,))
    _check_kept(ex, case, buffer, 5, 8, (3,))
    for _ in range(20):
        _sample(ex, case, buffer, 4, (3,), range(5))
    _method(ex, buffer, "sample").call_expecting_error(
        case, ValueError, "sample(6) cannot return 6 different transitions from 5", 6,
        hint="check batch_size <= len(self) first and raise ValueError saying both.")

    case = "20 adds to capacity 6, observations (2, 3): the newest 6 kept after each add"
    buffer = _new_buffer(ex, case, 6, (2, 3), seed=1)
    for adds in range(1, 21):
        _fill(ex, case, buffer, [adds - 1], (2, 3))
        _check_kept(ex, case, buffer, adds, 6, (2, 3))

    case = "two calls of sample(10) from 50 transitions"
    buffer = _new_buffer(ex, case, 50, (2,), seed=2)
    _fill(ex, case, buffer, range(50), (2,))
    first, second = (_sample(ex, case, buffer, 10, (2,), range(50)).tolist()
                     for _ in range(2))
    ex.require(case, first != second,
               f"both calls returned the same batch, transitions {first}.",
               "draw a new random batch at every call, with the generator made once in "
               "__init__ (self.rng = np.random.default_rng(seed)); a generator made in "
               "sample starts over every time, and the first batch_size transitions are no "
               "random sample.")

    case = "2000 batches of 5 from 20 stored (30 adds to capacity 20)"
    buffer = _new_buffer(ex, case, 20, (2,), seed=3)
    _fill(ex, case, buffer, range(30), (2,))
    _check_uniform(ex, case, buffer, np.arange(10, 30), 5, 2000, (2,))

    case = "the seed decides the batches"

    def batches_of(seed):
        buffer = _new_buffer(ex, case, 12, (2,), seed=seed)
        _fill(ex, case, buffer, range(12), (2,))
        return [_sample(ex, case, buffer, 4, (2,), range(12)).tolist() for _ in range(3)]

    batches, saved = [], _global_generators()
    try:
        for seed, global_seed in ((4, 1), (4, 2), (5, 1)):
            np.random.seed(global_seed)  # the global generators differ between the two 4s
            random.seed(global_seed)
            batches.append(require_global_generators_untouched(
                ex, case, lambda: batches_of(seed), "making, filling and sampling a buffer",
                _GLOBAL_GENERATORS_HINT))
    finally:  # the notebook's later cells draw what they would have drawn
        np.random.set_state(saved[0])
        random.setstate(saved[1])
    ex.require(case, batches[0] == batches[1],
               f"two buffers made with seed 4 and the same adds gave different batches:\n"
               f"  {batches[0]}\n  {batches[1]}",
               "draw with the buffer's own generator, self.rng = np.random.default_rng(seed), "
               "not with np.random.* functions or the random module.")
    ex.require(case, batches[0] != batches[2],
               f"buffers made with seeds 4 and 5 gave the same batches: {batches[0]}.",
               "make the generator from the seed argument: np.random.default_rng(seed).")


# ----------------------------------------------------------- dqn_targets ---

def _dqn_targets_answer(rewards, next_q, terminated, truncated, gamma, *,
                        stop_on="terminated", discount=True, best="max", axis=1,
                        mask_reward=False):
    """r + gamma * max_a next_q * (1 - terminated), with switches for the known mistakes.
    A mistake that would raise on a case gives None (no result).

    Args:
        rewards, next_q, terminated, truncated, gamma: as for dqn_targets.
        stop_on: the transitions that do not bootstrap: "terminated" (right),
            "terminated or truncated" or "nothing".
        discount: False leaves gamma out.
        best: the next value, "max" (right) or "mean" of next_q over `axis` (1, right, the
            actions; 0 the batch).
        mask_reward: True multiplies the reward by 1 - terminated too.
    """
    next_value = {"max": np.max, "mean": np.mean}[best](next_q, axis=axis)
    if next_value.shape != rewards.shape:
        return None  # the shapes do not broadcast, or give another shape
    ended = {"terminated": terminated, "terminated or truncated": terminated | truncated,
             "nothing": np.zeros_like(terminated)}[stop_on]
    target = rewards + (gamma if discount else 1.0) * next_value * (1.0 - ended)
    return target * (1.0 - terminated) if mask_reward else target


_DQN_TARGETS_MISTAKES = {
    "bootstrapping through termination: a terminated transition has no next state, "
    "its target is the reward alone (multiply by 1 - terminated)": {"stop_on": "nothing"},
    "a truncated episode treated as terminal: a time limit is not a terminal state of "
    "the task, so a truncated transition still bootstraps (only `terminated` stops it)":
        {"stop_on": "terminated or truncated"},
    "gamma missing: the target is r + gamma * max_a next_q": {"discount": False},
    "the mean over actions instead of the max: DQN bootstraps from the best next "
    "action": {"best": "mean"},
    "(1 - terminated) on the reward too: a terminal transition's target is its reward":
        {"mask_reward": True},
    "the max over the batch (axis 0) instead of over the actions: take the max "
    "of each row, axis=1": {"axis": 0},
}


def _dqn_targets_cases():
    """(case, rewards, next_q, terminated, truncated, gamma, expected or None for the
    formula) for 11.5."""
    rng = np.random.default_rng(50)
    false, true = np.zeros(4, bool), np.ones(4, bool)
    return [
        # 1 + 0.9 * 2; terminated: -0.5 alone; truncated: -1 + 0.9 * 0.5; 0.5 + 0.9 * -1.
        ("4 transitions by hand: one terminated, one truncated, gamma 0.9",
         np.array([1.0, -0.5, -1.0, 0.5]),
         np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0], [0.5, 0.25, -2.0], [-1.0, -2.0, -3.0]]),
         np.array([False, True, False, False]), np.array([False, False, True, False]), 0.9,
         np.array([2.8, -0.5, -0.55, -0.4])),
        ("3 transitions, 3 actions, none ended, gamma 0.5", random_values(51, 3),
         random_values(52, (3, 3)), np.zeros(3, bool), np.zeros(3, bool), 0.5, None),
        ("32 random transitions, 4 actions, gamma 0.99", random_values(53, 32),
         random_values(54, (32, 4)), rng.random(32) < 0.3, rng.random(32) < 0.3, 0.99, None),
        ("all 4 terminated and truncated", random_values(55, 4), random_values(56, (4, 2)),
         true, true, 0.99, None),
        ("all 4 truncated: every target bootstraps", random_values(57, 4),
         random_values(58, (4, 2)), false, true, 0.99, None),
        ("one transition, terminated", np.array([2.5]), np.array([[7.0, 9.0]]),
         np.array([True]), np.array([False]), 0.9, np.array([2.5])),
    ]


def _explain_dqn_error(message):
    """The extra hint when a max over the wrong axis cannot be added to the rewards."""
    if "broadcast" in message:
        return ("the best next value of each transition is the max of its row, over the "
                "actions: next_q.max(axis=1) has one value per transition, like rewards.")
    return None


@exercise("11.5")
def dqn_targets(ex):
    """Checks `dqn_targets(rewards, next_q, terminated, truncated, gamma)`: DQN's
    regression targets for a batch.

    `rewards` (batch,) floats, `next_q` (batch, num_actions) the target network's
    Q-values of the next states, `terminated` and `truncated` (batch,) bools. The
    result, a new float array (batch,), is r + gamma * max_a next_q * (1 - terminated):
    a terminated transition's target is its reward alone, while a truncated one (a time
    limit, not a terminal state of the task) still bootstraps. Compared with values
    worked by hand and with the formula on random batches where some transitions are
    terminated, some truncated and some both. The result must be a new array, not
    the rewards themselves or a view of them.
    """
    for case, rewards, next_q, terminated, truncated, gamma, expected in _dqn_targets_cases():
        if expected is None:
            expected = rewards + gamma * next_q.max(axis=1) * (1.0 - terminated)
        out = ex.call_explained(case, _explain_dqn_error, rewards, next_q, terminated,
                                truncated, gamma, returns_new=True)
        ex.compare(case, out, expected,
                   mistakes=mistakes_from(_dqn_targets_answer, _DQN_TARGETS_MISTAKES, rewards,
                                          next_q, terminated, truncated, gamma),
                   hint="target = r + gamma * max over the actions of next_q, times "
                        "(1 - terminated): `truncated` does not stop bootstrapping.",
                   shape_hint="one target per transition: take the max of next_q over the "
                              "actions (axis=1), not over the batch.")


# -------------------------------------------------------- reinforce_loss ---

def _reinforce_loss_answer(log_probs, returns, *, sign=-1.0, reduce=np.mean,
                           weights="log_probs", use_returns=True, gradient=False):
    """-mean(log_probs * returns), or its gradient, with switches for the known mistakes.

    Args:
        log_probs, returns: arrays (T,).
        sign: +1 flips the loss.
        reduce: the reduction over the steps (np.mean, right, or np.sum).
        weights: what the returns weigh: "log_probs" (right), "log(log_probs)" (the log
            taken again) or "exp(log_probs)" (probabilities).
        use_returns: False leaves the returns out.
        gradient: True gives the gradient with respect to log_probs instead (for the
            `sign` and `reduce` switches only).
    """
    if gradient:
        return sign * returns / (len(returns) if reduce is np.mean else 1)
    weighted = {"log_probs": log_probs, "log(log_probs)": np.log(log_probs),
                "exp(log_probs)": np.exp(log_probs)}[weights]
    return sign * reduce(weighted * returns if use_returns else weighted)


_REINFORCE_LOSS_MISTAKES = {
    "the sign flipped: the loss is minus the mean, so that minimising it raises the "
    "log-probabilities of actions with high returns": {"sign": 1.0},
    "the sum instead of the mean over the steps": {"reduce": np.sum},
    "the log taken again: log_probs are already log-probabilities":
        {"weights": "log(log_probs)"},
    "probabilities instead of log-probabilities: REINFORCE weights log pi(a|s)":
        {"weights": "exp(log_probs)"},
    "the returns ignored: each log-probability is weighted by its return":
        {"use_returns": False},
}

_REINFORCE_GRADIENT_MISTAKES = {
    "the sign flipped: the gradient must be -returns / T": {"sign": 1.0},
    "the sum instead of the mean: the gradient must be -returns / T": {"reduce": np.sum},
}


def _scalar(value):
    """A TF tensor as NumPy; anything else as it is."""
    return value.numpy() if hasattr(value, "numpy") and hasattr(value, "dtype") else value


def _reinforce_loss_cases():
    probs = np.array([0.5, 0.25, 0.8, 0.1])
    rng = np.random.default_rng(60)
    returns = random_values(61, 50)
    return [
        # -(2 log 0.5 - log 0.25 + 0.5 log 0.8 + log 0.1) / 4; the first two cancel.
        ("4 steps by hand", np.log(probs), np.array([2.0, -1.0, 0.5, 1.0]),
         -(0.5 * np.log(0.8) + np.log(0.1)) / 4),
        ("one step", np.log(np.array([0.3])), np.array([2.0]), -2.0 * np.log(0.3)),
        ("50 steps, normalised returns", np.log(rng.uniform(0.05, 0.95, 50)),
         (returns - returns.mean()) / returns.std(), None),
    ]


@exercise("11.6")
def reinforce_loss(ex):
    """Checks `reinforce_loss(log_probs, returns)`: the REINFORCE (policy-gradient) loss.

    `log_probs` (T,) are log pi(a_t | s_t) of the actions taken, a TensorFlow tensor
    during training or a NumPy array; `returns` (T,) the returns (already computed, maybe
    normalised), constants. The result is one number, -mean(log_probs * returns): a
    scalar tensor when the inputs are tensors, with the gradient -returns / T with
    respect to log_probs. Compared with values worked by hand on NumPy inputs, then on
    float32 tensors under `tf.GradientTape`, whose gradient is compared with -returns / T,
    then inside tf.function with T unknown (None), as the notebook's `pg_train_step`
    traces it (its input_signature has shape (None,)): reading T statically
    (`len(log_probs)`, `log_probs.shape[0]`) fails there.
    """
    tf = import_tensorflow()
    hint = ("loss = -mean(log_probs * returns): one number, the minus sign so that "
            "gradient descent raises the log-probabilities of actions with high returns.")
    for case, log_probs, returns, expected in _reinforce_loss_cases():
        expected = -np.mean(log_probs * returns) if expected is None else expected
        out = _scalar(ex.call(case, log_probs, returns))
        ex.compare(case, out, expected, kind="scalar", hint=hint,
                   mistakes=mistakes_from(_reinforce_loss_answer, _REINFORCE_LOSS_MISTAKES,
                                          log_probs, returns),
                   shape_hint="the loss is one number: the mean over the steps.",
                   nonfinite_hint="log_probs are logarithms already (negative numbers): "
                                  "taking their log again gives NaN.")

    case = "16 steps as float32 tensors, with the gradient"
    log_probs = np.log(np.random.default_rng(62).uniform(0.05, 0.95, 16)).astype(np.float32)
    returns = random_values(63, 16).astype(np.float32)
    watched, constant = tf.constant(log_probs), tf.constant(returns)
    with tf.GradientTape() as tape:
        tape.watch(watched)
        loss = ex.call(case, watched, constant, copy_inputs=False)
    ex.require(case, tf.is_tensor(loss),
               f"with tensors as inputs your function returned {describe(loss)}, not a "
               f"tensor: no gradient can reach log_probs.",
               "use TensorFlow operations (tf.reduce_mean, *, -) that also accept NumPy "
               "arrays; np.* functions and .numpy() cut the gradient tape.")
    ex.compare(case, loss.numpy(), -np.mean(log_probs.astype(np.float64) * returns),
               kind="scalar", hint=hint, rtol=1e-5, atol=1e-5, part="the loss",
               mistakes=mistakes_from(_reinforce_loss_answer, _REINFORCE_LOSS_MISTAKES,
                                      log_probs.astype(np.float64), returns))
    grad = tape.gradient(loss, watched)
    ex.require(case, grad is not None,
               "no gradient reaches log_probs from your loss.",
               "compute the loss from log_probs with TensorFlow operations; tf.stop_gradient, "
               "tf.constant(...) or a NumPy round trip cut the tape.")
    ex.compare(case, grad.numpy(), -returns / len(returns), kind="tensor", atol=1e-6,
               part="the gradient with respect to log_probs",
               mistakes=mistakes_from(_reinforce_loss_answer, _REINFORCE_GRADIENT_MISTAKES,
                                      log_probs, returns, gradient=True),
               hint="d loss / d log_probs[t] = -returns[t] / T for the mean over T steps.")

    case = "16 steps inside tf.function, T unknown (as in pg_train_step)"
    out = tensor_modes.call(ex, case, "graph, batch unknown", log_probs, returns)
    ex.compare(case, tensor_modes.as_numpy(out), -np.mean(log_probs.astype(np.float64) * returns),
               kind="scalar", hint=hint, rtol=1e-5, atol=1e-5,
               mistakes=mistakes_from(_reinforce_loss_answer, _REINFORCE_LOSS_MISTAKES,
                                      log_probs.astype(np.float64), returns))
