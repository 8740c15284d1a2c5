package io.diffrl4j.core.sampling;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.InferenceSchedule;
import java.util.List;

/**
 * The result of sampling a batch of P prompts x G images, rows in prompt order (the G images of
 * prompt p are rows {@code p*G .. p*G + G - 1}).
 *
 * <p>All arrays belong to the manager passed to {@link Sampler#sample}; closing that
 * manager frees them.
 *
 * @param samples the final clean samples (P*G, ...)
 * @param steps the recorded stochastic steps, in schedule order (empty for ODE rollouts)
 * @param schedule the noise levels walked
 * @param groupSize G
 * @param referenceKl null, or per row and recorded step the KL of the sampling policy's transition
 *     to the reference model's, {@code mean((mean - mean_ref)^2) / (2 std_dev_t^2 |dt|)} over the sample's
 *     elements, shape (P*G, steps.size()): recorded only by a sampler asked to (Flow-GRPO's former
 *     KL-in-reward, {@code ReferenceKlSampler}); the trainer hands it to the objective through
 *     {@link io.diffrl4j.core.reward.RewardBatch#referenceKl()}
 */
public record Rollout(NDArray samples, List<RecordedStep> steps, InferenceSchedule schedule, int groupSize,
        NDArray referenceKl) {

    /** A rollout without a recorded reference KL (what every sampler records by itself). */
    public Rollout(NDArray samples, List<RecordedStep> steps, InferenceSchedule schedule, int groupSize) {
        this(samples, steps, schedule, groupSize, null);
    }

    /**
     * @param kl per row and recorded step, shape (P*G, steps().size())
     * @return this rollout carrying {@code kl}
     * @throws IllegalArgumentException when the shape does not match
     */
    public Rollout withReferenceKl(NDArray kl) {
        long rows = samples.getShape().get(0);
        if (kl.getShape().dimension() != 2 || kl.getShape().get(0) != rows || kl.getShape().get(1) != steps.size()) {
            throw new IllegalArgumentException("a reference KL of shape " + kl.getShape() + " for " + rows + " rows and "
                    + steps.size() + " recorded steps");
        }
        return new Rollout(samples, steps, schedule, groupSize, kl);
    }

    /** @return the number of prompts P */
    public int prompts() {
        return Math.toIntExact(samples.getShape().get(0)) / groupSize;
    }
}
