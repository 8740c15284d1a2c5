package io.diffrl4j.samplers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;

/**
 * A sampler that also records, for every recorded stochastic step, how far the sampling policy's
 * transition is from the reference model's: Flow-GRPO's former KL-in-reward ({@code
 * config.sample.kl_reward} in flow_grpo before commit 2d76907, where {@code pipeline_with_logprob}
 * re-runs the step with the adapter disabled). Per row and step,
 *
 * <pre>
 * kl = mean over the sample's elements of (mean - mean_ref)^2 / (2 sigma_step^2)
 * </pre>
 *
 * where {@code mean} is the recorded transition mean, {@code mean_ref} the same step rule's mean
 * with the reference's guided velocity at the same input and guidance scale, and {@code sigma_step}
 * the standard deviation of the transition, {@code std_dev_t sqrt(-dt)} ({@link
 * StepResult#noiseStd()}): in the flow_grpo revisions that had this option, {@code
 * sde_step_with_logprob} returned {@code std_dev_t * sqrt(-dt)} as the value the KL divides by (it
 * returns {@code std_dev_t} since 2d76907, which is what {@code KlForm.CODE} follows). The reference is frozen, so
 * evaluating it after the rollout gives exactly the values the reference code computes during it.
 * The result is {@link Rollout#referenceKl()}, shape (P*G, recorded steps); the samples and
 * recorded steps are the wrapped sampler's, unchanged.
 *
 * <p>The model must be an {@link AdaptedFlowModel}: the reference is one of its adapter sets (null:
 * the base model, as the reference code's {@code disable_adapter()}). Costs one more guided forward
 * per recorded step. Immutable.
 */
public final class ReferenceKlSampler implements Sampler {
    private final Sampler sampler;
    private final String referenceSet;

    /**
     * @param sampler the sampler that draws the rollouts
     * @param referenceSet the reference's adapter set; null for the base model
     */
    public ReferenceKlSampler(Sampler sampler, String referenceSet) {
        if (sampler == null) {
            throw new IllegalArgumentException("a sampler is needed");
        }
        this.sampler = sampler;
        this.referenceSet = referenceSet;
    }

    /** @return the wrapped sampler (its schedule and steps) */
    public Sampler sampler() {
        return sampler;
    }

    /** @return the replacement, still recording the KL to this sampler's reference */
    /** @return this KL-recording sampler around the wrapped sampler's sampler of that epoch */
    @Override
    public Sampler atEpoch(int epoch) {
        Sampler inner = sampler.atEpoch(epoch);
        return inner == sampler ? this : new ReferenceKlSampler(inner, referenceSet);
    }

    @Override
    public Sampler replacedBy(Sampler replacement) {
        return new ReferenceKlSampler(replacement, referenceSet);
    }

    /** @return the reference's adapter set, null for the base model */
    public String referenceSet() {
        return referenceSet;
    }

    @Override
    public Rollout sample(NDManager out, FlowModel model, Conditioning prompts, Conditioning uncond, int groupSize,
            Shape sampleShape, SeededNoise rng) {
        if (!(model instanceof AdaptedFlowModel adapted)) {
            throw new IllegalArgumentException("the reference KL needs a model with adapter sets (an AdaptedFlowModel), got "
                    + model.getClass().getSimpleName());
        }
        Rollout rollout = sampler.sample(out, model, prompts, uncond, groupSize, sampleShape, rng);
        int rows = Math.toIntExact(rollout.samples().getShape().get(0));
        if (rollout.steps().isEmpty()) {
            return rollout.withReferenceKl(out.zeros(new Shape(rows, 0)));
        }
        SamplerStep rule = sampler.stochasticStep();
        double w = sampler.guidanceScale();
        NDList columns = new NDList();
        try (NDManager work = out.newSubManager()) {
            Conditioning cond = prompts.repeatEach(groupSize, work);
            Conditioning unc = uncond == null ? null : uncond.repeatEach(groupSize, work);
            for (RecordedStep step : rollout.steps()) {
                try (NDManager scratch = work.newSubManager()) {
                    NDArray x = step.x();
                    if (x.getShape().get(0) != rows) {
                        throw new IllegalStateException("recorded step " + step.index() + " has " + x.getShape().get(0)
                                + " rows, the rollout " + rows);
                    }
                    scratch.tempAttachAll(x, step.next(), step.mean());
                    NDArray sigma = scratch.full(new Shape(rows), (float) step.sigma());
                    NDArray v = adapted.adapters().with(referenceSet,
                            () -> Guidance.velocity(adapted, x, sigma, cond, unc, w));
                    StepResult ref = rule.evaluate(x, v, rollout.schedule(), step.index(), step.next());
                    double variance = 2 * ref.noiseStd() * ref.noiseStd();
                    NDArray squared = step.mean().sub(ref.mean()).square().reshape(rows, -1).mean(new int[] {1});
                    NDArray kl = ScalarMath.mul(squared, 1.0 / variance).reshape(rows, 1);
                    kl.attach(work);
                    columns.add(kl);
                }
            }
            NDArray all = NDArrays.concat(columns, 1);
            all.attach(out);
            return rollout.withReferenceKl(all);
        }
    }

    @Override
    public double guidanceScale() {
        return sampler.guidanceScale();
    }

    @Override
    public SamplerStep stochasticStep() {
        return sampler.stochasticStep();
    }

    @Override
    public io.diffrl4j.core.flow.InferenceSchedule schedule() {
        return sampler.schedule();
    }

    @Override
    public String toString() {
        return "ReferenceKlSampler{" + sampler + ", reference " + (referenceSet == null ? "base model" : referenceSet) + "}";
    }

    @Override
    public java.util.List<String> adapterSets() {
        return java.util.stream.Stream.concat(sampler.adapterSets().stream(),
                referenceSet == null ? java.util.stream.Stream.<String>empty() : java.util.stream.Stream.of(referenceSet)).distinct().toList();
    }
}
