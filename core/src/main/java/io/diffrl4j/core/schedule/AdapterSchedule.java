package io.diffrl4j.core.schedule;

import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.objective.TrainingProgress;
import java.util.Map;

/**
 * When and how a snapshot adapter set (reference, "old", sampler, EMA) changes: once an epoch's
 * samples are scored, after each optimizer step, and after the epoch's steps. Stateful schedules
 * expose their state under a stable key so that a resumed run continues exactly.
 */
public interface AdapterSchedule {
    /**
     * Called once per epoch after its samples are drawn and scored, before its first optimizer
     * step (GARDO's reference renewal: the epoch's regularizer then measures against the renewed
     * reference).
     *
     * @param adapters the model's adapter sets
     * @param progress the epoch about to run
     */
    default void beforeUpdate(Adapters adapters, TrainingProgress progress) {}

    /**
     * @return the adapter sets this strategy reads or writes besides the policy (null, the
     *     pretrained model, is never listed): the method creates each as a copy of the initial
     *     policy before training ({@link io.diffrl4j.core.method.Method#snapshots()})
     */
    default java.util.List<String> adapterSets() {
        return java.util.List.of();
    }

    /**
     * Called after every optimizer step (GARDO's reference watches the KL of each step).
     *
     * @param adapters the model's adapter sets
     * @param progress the epoch, with the global step after this update
     * @param stepMetrics the step's metrics (e.g. "kl", "loss"); read-only
     */
    default void afterStep(Adapters adapters, TrainingProgress progress, Map<String, Double> stepMetrics) {}

    /**
     * Called after the epoch's optimizer steps (EMA updates).
     *
     * @param adapters the model's adapter sets
     * @param progress the epoch just run, with the global step after its updates
     * @param metrics the epoch's metrics so far (e.g. "kl"); read-only
     */
    default void afterEpoch(Adapters adapters, TrainingProgress progress, Map<String, Double> metrics) {}

    /**
     * @return the key {@link #state()} is saved under in checkpoints: stable across versions and
     *     unique within a method (a method refuses two strategies with one key). The default, the
     *     class's simple name, suits a schedule used once per method; a schedule with state that a
     *     method may hold twice (one per adapter set) names its set.
     */
    default String stateKey() {
        return getClass().getSimpleName();
    }

    /** @return the schedule's state for checkpoints (numbers only) */
    default Map<String, Double> state() {
        return Map.of();
    }

    /** @param state a state from {@link #state()} */
    default void restore(Map<String, Double> state) {}
}
