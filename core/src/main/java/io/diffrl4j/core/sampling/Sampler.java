package io.diffrl4j.core.sampling;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;

/**
 * Draws rollouts of P prompts x G images from a flow model and records what the objective needs
 * (for trajectory methods, the stochastic steps; for forward-process methods, only the samples).
 *
 * <p>Called on the training thread with the model already set to the sampling parameters (the
 * trainer activates the sampler snapshot). Everything returned belongs to {@code out}.
 */
public interface Sampler {
    /**
     * @param out owner of everything the rollout returns
     * @param model the velocity field
     * @param prompts conditioning of the P prompts
     * @param uncond the unconditional conditioning, batch P (may be null when no guidance is used)
     * @param groupSize G, images per prompt
     * @param sampleShape the shape of one sample without the batch axis (e.g. 16 x 64 x 64)
     * @param rng the source of every random draw
     * @return P*G samples in prompt order, with the recorded steps
     */
    Rollout sample(NDManager out, FlowModel model, Conditioning prompts, Conditioning uncond, int groupSize,
            Shape sampleShape, SeededNoise rng);

    /**
     * The sampler that draws epoch {@code epoch}'s rollouts; the trainer asks for it once per epoch
     * and hands it to the objective with the micro-batches. A sampler that changes over training
     * (MixGRPO's sliding SDE window) returns the fixed sampler of that epoch, computed from the
     * epoch alone, so that a resumed run draws what an uninterrupted one would.
     *
     * @param epoch the epoch, from 0
     * @return this sampler by default
     */
    default Sampler atEpoch(int epoch) {
        return this;
    }

    /**
     * @return the adapter sets this sampler reads or writes besides the policy (null, the
     *     pretrained model, is never listed): the method creates each as a copy of the initial
     *     policy before training ({@link io.diffrl4j.core.method.Method#snapshots()})
     */
    default java.util.List<String> adapterSets() {
        return java.util.List.of();
    }

    /**
     * What {@link io.diffrl4j.core.method.Method#withSampler} puts in this sampler's place: by
     * default the replacement itself; a sampler that adds something around the one drawing the
     * rollouts (a recording of the KL to a reference, say) wraps the replacement the same way, so
     * that replacing a method's sampler never silently drops what the method's objective reads.
     *
     * @param replacement the new sampler
     * @return the sampler the method uses from now on
     */
    default Sampler replacedBy(Sampler replacement) {
        return replacement;
    }

    /** @return the guidance scale the sampler applies (objectives that re-evaluate steps use the same) */
    double guidanceScale();

    /** @return the step rule used for recorded steps (objectives re-score steps with it) */
    SamplerStep stochasticStep();

    /**
     * @return the noise levels the sampler walks: recorded steps index into it, and objectives that
     *     re-score a step read it from the sampler that drew the micro-batch (never their own copy),
     *     so any sampler can replace a method's without rebuilding its objective
     */
    io.diffrl4j.core.flow.InferenceSchedule schedule();
}
