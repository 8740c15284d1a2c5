package io.diffrl4j.core.objective;

import io.diffrl4j.core.model.AdaptedFlowModel;

/**
 * The policy loss of a method (Flow-GRPO's clipped ratio, DiffusionNFT, CRD). A micro-batch is
 * trained in {@link #passes} separate backward passes (one per recorded step, or per noise level),
 * which bounds activation memory; the trainer averages them.
 *
 * <p>Called on the training thread inside a gradient collector, with the policy adapter active.
 */
public interface PolicyObjective {
    /** @param batch the micro-batch @return how many passes it takes, at least 1 */
    int passes(MicroBatch batch);

    /**
     * @return the adapter sets this strategy reads or writes besides the policy (null, the
     *     pretrained model, is never listed): the method creates each as a copy of the initial
     *     policy before training ({@link io.diffrl4j.core.method.Method#snapshots()})
     */
    default java.util.List<String> adapterSets() {
        return java.util.List.of();
    }

    /**
     * @param batch the micro-batch
     * @param pass the pass index in [0, passes)
     * @param model the model, policy active
     * @param metrics where to report diagnostics (e.g. "clip_fraction")
     * @return the pass's scalar policy loss and its prediction for the regularizers
     */
    Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics);

    /**
     * Whether, by default, groups whose advantages are all zero (every image of the prompt scored the
     * same) are left out of the update ({@code TrainerConfig.skipZeroAdvantageGroups} overrides it).
     * The Flow-GRPO reference code drops them (their clipped-ratio loss is zero and only the KL would
     * remain); DiffusionNFT's and CRD's train on them (their losses still pull towards the "old"
     * model's or the group's mean), so the default is false.
     *
     * @return true when such groups are skipped unless the trainer config says otherwise
     */
    default boolean skipsZeroAdvantageGroups() {
        return false;
    }

    /**
     * @param loss the scalar policy loss of the pass (differentiable)
     * @param prediction what the policy predicted, for regularizers
     */
    record Pass(ai.djl.ndarray.NDArray loss, Prediction prediction) {}
}
