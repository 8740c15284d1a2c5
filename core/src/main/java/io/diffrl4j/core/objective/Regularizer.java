package io.diffrl4j.core.objective;

/**
 * An extra loss term added to every pass (a KL to a reference, gated or not). It may read the
 * epoch's rewards through {@link MicroBatch#rewards()} and {@link MicroBatch#rows()}.
 */
public interface Regularizer {
    /** @return the metric prefix ("kl") */
    String name();

    /**
     * @param batch the micro-batch
     * @param prediction the policy's prediction of this pass
     * @param metrics where to report diagnostics
     * @return a differentiable scalar added to the pass's loss
     */
    ai.djl.ndarray.NDArray loss(MicroBatch batch, Prediction prediction, StepMetrics metrics);

    /**
     * @return the adapter sets this strategy reads or writes besides the policy (null, the
     *     pretrained model, is never listed): the method creates each as a copy of the initial
     *     policy before training ({@link io.diffrl4j.core.method.Method#snapshots()})
     */
    default java.util.List<String> adapterSets() {
        return java.util.List.of();
    }

    /** Called once per epoch after scoring, before any update (gates and controllers update here). */
    default void onEpochScored(io.diffrl4j.core.reward.RewardBatch rewards, TrainingProgress progress) {}

    /**
     * @return the key {@link #state()} is saved under in checkpoints: stable and unique within a
     *     method; by default {@code "regularizer:" + name()}
     */
    default String stateKey() {
        return "regularizer:" + name();
    }

    /** @return state for checkpoints (numbers only), e.g. a controller's history */
    default java.util.Map<String, Double> state() {
        return java.util.Map.of();
    }

    /** @param state a state from {@link #state()} */
    default void restore(java.util.Map<String, Double> state) {}
}
