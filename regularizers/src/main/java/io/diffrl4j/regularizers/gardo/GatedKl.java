package io.diffrl4j.regularizers.gardo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.nn.ScalarMath;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GARDO's gated KL (docs/ALGORITHMS.md 6.1): the base algorithm's KL term, applied only to the samples
 * whose reward is unreliable.
 *
 * <p>Once per epoch ({@link #onEpochScored}) the gate measures each image's uncertainty
 * {@link #uncertainty(RewardBatch)} from the disagreement between the proxy reward and the
 * auxiliary rewards the trainer scored ({@code Trainer.Builder.addAuxiliaryReward}), lets the
 * {@link GateController} move the gated fraction {@code k}, and gates the top {@code k} of the
 * non-negative uncertainties ({@link #gate(double[], double)}). In every pass the per-sample KL
 * {@code kl_i = klScale_i mean_dims((policy_i - ref_i)^2)} (Flow-GRPO: the Gaussian-mean KL of the
 * transition; DiffusionNFT: the velocity MSE) is reduced over the micro-batch's gated samples only:
 *
 * <pre>
 * loss = sum_i gate_i lambda_i kl_i / max(1, sum_i gate_i)
 * </pre>
 *
 * When nothing in the micro-batch is gated the loss is zero (GARDO's Flow-GRPO script), or, with
 * {@code klOnAllWhenNoneGated} (GARDO on DiffusionNFT, whose script falls back to
 * {@code kl_div_loss = ((v - v_ref)^2).mean()} over every sample), the plain mean over all samples.
 *
 * with {@code lambda} the {@link KlStrength} (GARDO: a constant beta). The gate is looked up by the
 * micro-batch's {@link MicroBatch#rows()}, so the normaliser counts the gated samples of this
 * micro-batch, as the official code does; ungated samples contribute exactly zero gradient.
 *
 * <p>Reported metrics, per pass: {@code kl} (the ungated mean KL, as {@link ReferenceKl} reports
 * it), {@code kl_gated} (the unweighted gated average, the quantity the official code compares
 * with the reference-renewal threshold), {@code gate_fraction} (the share of the epoch's images
 * gated) and {@code gate_k}. Each epoch's gate is also logged at INFO.
 *
 * <p>Extension points for users: override {@link #uncertainty(RewardBatch)} for another
 * uncertainty measure, {@link #gate(double[], double)} for another selection rule, or
 * {@link #updateK(double)} for another controller; {@link #GatedKl(GatedKl)} copies the settings of
 * an existing gate (see {@link Gardo#replaceGate}).
 *
 * <p>Arrays created in a pass belong to the manager of the reduced KL (the pass's manager). Holds
 * the epoch's gate and the controller: not thread-safe, training thread only.
 */
public class GatedKl extends ReferenceKl {
    private static final Logger LOG = LoggerFactory.getLogger(GatedKl.class);

    private final String reference;
    private final Double guidance;
    private final KlForm form;
    private final KlStrength strength;
    private final GateConfig config;
    private final GateController controller;
    private final boolean klOnAllWhenNoneGated;

    private boolean[] gate;
    private double[] uncertainty;
    private double threshold = Double.NaN;
    private double gatedFraction;
    private NDArray lastKl;

    /**
     * @param reference the reference adapter set (GARDO: {@code AdapterRoles.REFERENCE}), or null
     *     for the pretrained model
     * @param guidance the reference's CFG scale, or null for the policy prediction's own
     * @param form the variance form of trajectory KLs
     * @param strength the coefficient (GARDO: constant beta)
     * @param config the gate's settings
     */
    public GatedKl(String reference, Double guidance, KlForm form, KlStrength strength, GateConfig config) {
        this(reference, guidance, form, strength, config, false);
    }

    /**
     * @param reference the reference adapter set, or null for the pretrained model
     * @param guidance the reference's CFG scale, or null for the policy prediction's own
     * @param form the variance form of trajectory KLs
     * @param strength the coefficient (GARDO: constant beta)
     * @param config the gate's settings
     * @param klOnAllWhenNoneGated apply the KL to every sample of a micro-batch in which nothing is
     *     gated (GARDO's DiffusionNFT script) instead of none (its Flow-GRPO script)
     */
    public GatedKl(String reference, Double guidance, KlForm form, KlStrength strength, GateConfig config,
            boolean klOnAllWhenNoneGated) {
        super(reference, guidance, form, strength);
        if (form == null || strength == null || config == null) {
            throw new IllegalArgumentException("a gated KL needs a form, a strength and a gate config");
        }
        this.reference = reference;
        this.guidance = guidance;
        this.form = form;
        this.strength = strength;
        this.config = config;
        this.controller = new GateController(config);
        this.klOnAllWhenNoneGated = klOnAllWhenNoneGated;
    }

    /**
     * A new gate with the settings of {@code template} and a fresh controller: the way to swap a
     * subclass into a method built by {@link Gardo}.
     *
     * @param template the gate whose settings to copy
     */
    protected GatedKl(GatedKl template) {
        this(template.reference, template.guidance, template.form, template.strength, template.config,
                template.klOnAllWhenNoneGated);
    }

    /** @return whether a micro-batch with nothing gated gets the KL on every sample (instead of none) */
    public boolean klOnAllWhenNoneGated() {
        return klOnAllWhenNoneGated;
    }

    /** @return the reference adapter set, or null for the pretrained model */
    public String reference() {
        return reference;
    }

    /** @return the reference's CFG scale, or null for the policy prediction's own */
    public Double guidance() {
        return guidance;
    }

    /** @return the KL variance form */
    public KlForm form() {
        return form;
    }

    /** @return the KL coefficient */
    public KlStrength strength() {
        return strength;
    }

    /** @return the gate's settings */
    public GateConfig config() {
        return config;
    }

    /** @return the controller of {@code k} */
    public GateController controller() {
        return controller;
    }

    /** @return the current gated fraction {@code k} */
    public double k() {
        return controller.k();
    }

    /** @return a copy of the current epoch's gate, one entry per image; null before the first epoch */
    public boolean[] currentGate() {
        return gate == null ? null : gate.clone();
    }

    /** @return a copy of the current epoch's uncertainties; null before the first epoch */
    public double[] currentUncertainty() {
        return uncertainty == null ? null : uncertainty.clone();
    }

    /** @return the current epoch's gate threshold (NaN when no uncertainty was non-negative) */
    public double currentThreshold() {
        return threshold;
    }

    @Override
    public void onEpochScored(RewardBatch rewards, TrainingProgress progress) {
        double[] u = uncertainty(rewards);
        if (u == null || u.length != rewards.size()) {
            throw new IllegalStateException("uncertainty() returned " + (u == null ? "null" : u.length + " values")
                    + " for " + rewards.size() + " images");
        }
        for (int i = 0; i < u.length; i++) {
            if (!Double.isFinite(u[i])) {
                throw new IllegalStateException("uncertainty() returned " + u[i] + " for image " + i);
            }
        }
        double[] nonNeg = RewardUncertainty.nonNegative(u);
        if (nonNeg.length > 0) {
            updateK(Arrays.stream(nonNeg).average().orElseThrow());
        } else {
            LOG.warn("GARDO gate, epoch {}: no image has a non-negative uncertainty; k stays {} and nothing is gated",
                    progress.epoch(), controller.k());
        }
        double k = controller.k();
        boolean[] g = gate(u, k);
        if (g == null || g.length != u.length) {
            throw new IllegalStateException("gate() returned " + (g == null ? "null" : g.length + " entries")
                    + " for " + u.length + " images");
        }
        int count = 0;
        for (boolean b : g) {
            count += b ? 1 : 0;
        }
        this.uncertainty = u;
        this.gate = g;
        this.threshold = RewardUncertainty.threshold(u, k);
        this.gatedFraction = (double) count / g.length;
        LOG.info("GARDO gate, epoch {}: k = {}, gated {} of {} images ({} with U >= 0, threshold {}, {} {} vs {})",
                progress.epoch(), String.format("%.4f", k), count, g.length, nonNeg.length,
                String.format("%.4g", threshold), config.form(), rewards.proxyName(),
                RewardUncertainty.auxiliaryNames(rewards, config));
    }

    /**
     * The per-image uncertainty; samples with {@code U >= 0} are candidates for the gate. The
     * default follows the config ({@link RewardUncertainty#uncertainty(RewardBatch, GateConfig)}).
     *
     * @param rewards the epoch's scores, proxy and auxiliaries
     * @return one finite value per image, in prompt order
     */
    protected double[] uncertainty(RewardBatch rewards) {
        return RewardUncertainty.uncertainty(rewards, config);
    }

    /**
     * Chooses the gated images. The default gates the top {@code k} of the non-negative
     * uncertainties ({@link RewardUncertainty#gate(double[], double, boolean)}, strictly above the
     * threshold unless {@link GateConfig#inclusiveThreshold()}).
     *
     * @param uncertainty one value per image
     * @param k the current gated fraction
     * @return one entry per image, true where the KL applies
     */
    protected boolean[] gate(double[] uncertainty, double k) {
        return RewardUncertainty.gate(uncertainty, k, config.inclusiveThreshold());
    }

    /**
     * Moves {@code k} for the epoch; the default is the {@link GateController}.
     *
     * @param meanNonNegative the epoch's mean of the non-negative uncertainties
     */
    protected void updateK(double meanNonNegative) {
        controller.update(meanNonNegative);
    }

    @Override
    public NDArray perSample(MicroBatch batch, Prediction prediction) {
        NDArray kl = super.perSample(batch, prediction);
        // Kept for the unweighted "kl_gated" metric of the reduce() that follows in loss().
        lastKl = kl;
        return kl;
    }

    @Override
    protected NDArray reduce(MicroBatch batch, NDArray weighted, StepMetrics metrics) {
        int[] rows = batch.rows();
        if (gate == null) {
            throw new IllegalStateException("the gated KL has no gate yet: onEpochScored must run before the first pass");
        }
        if (weighted.getShape().size() != rows.length) {
            throw new IllegalStateException("the weighted KL has shape " + weighted.getShape() + " for a micro-batch of "
                    + rows.length + " images; the KL strength must be a scalar or one value per image");
        }
        float[] mask = new float[rows.length];
        int count = 0;
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= gate.length) {
                throw new IllegalStateException("micro-batch row " + rows[i] + " is outside the epoch's " + gate.length
                        + " gated images");
            }
            if (gate[rows[i]]) {
                mask[i] = 1f;
                count++;
            }
        }
        if (count == 0 && klOnAllWhenNoneGated) {
            Arrays.fill(mask, 1f);
            count = rows.length;
        }
        NDArray gateArray = ownedMask(weighted.getManager(), mask, weighted.getDataType());
        NDArray flat = weighted.reshape(rows.length);
        NDArray loss = ScalarMath.div(flat.mul(gateArray).sum(), Math.max(1, count));

        if (lastKl != null) {
            NDArray kl = lastKl.stopGradient().reshape(rows.length);
            metrics.add("kl_gated", kl.mul(gateArray.toType(kl.getDataType(), false)).sum().div(Math.max(1, count)));
            lastKl = null;
        }
        metrics.add("gate_fraction", gatedFraction);
        metrics.add("gate_k", controller.k());
        return loss;
    }

    /**
     * The mask in libtorch-owned memory. Autograd keeps the mask for the backward pass of the
     * product; an array made by {@code create(float[])} wraps a Java buffer that the garbage
     * collector may free once the array is closed, and {@code toType} to the same type aliases it
     * instead of copying. Adding it into fresh zeros copies the values.
     */
    private static NDArray ownedMask(NDManager m, float[] mask, DataType type) {
        try (NDArray host = m.create(mask); NDArray typed = host.toType(type, false)) {
            return m.zeros(new Shape(mask.length), type).addi(typed);
        }
    }

    @Override
    public Map<String, Double> state() {
        return controller.state();
    }

    @Override
    public void restore(Map<String, Double> state) {
        controller.restore(state);
    }
}
