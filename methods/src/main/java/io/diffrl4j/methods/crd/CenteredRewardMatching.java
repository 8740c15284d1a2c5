package io.diffrl4j.methods.crd;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.advantage.NormalisedReward;
import ai.djl.nn.Activation;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.ScalarMath;

/**
 * The arithmetic of CRD's reward matching (docs/ALGORITHMS.md 7.2, 7.3) as pure functions of arrays, so
 * that each identity can be checked on its own:
 *
 * <pre>
 * r~_i = clip(A_i / 5 / 2 + 0.5, 0, 1)
 * Rc_i = r~_i - mean_{j in scope(i)} r~_j
 * Pc_i = rho_i - sg(mean_{j in scope(i)} rho_j)
 * mse:  L = mean_i (beta Pc_i - Rc_i)^2 * 5 / beta
 * bce:  L = mean_i BCEWithLogits(beta Pc_i, sigmoid(Rc_i)) * 5 / beta
 * </pre>
 *
 * <p>Shapes: per-sample arrays are (b); with {@link CenteringScope#PROMPT} the b rows are whole
 * groups of {@code groupSize} consecutive images of one prompt (the order a {@code MicroBatch}
 * guarantees), so a group mean is {@code reshape(b / G, G).mean(1)} broadcast back.
 *
 * <p>Everything stays differentiable in {@code rho} (scalars enter through {@link ScalarMath}, see
 * there why); results belong to the manager of the first array argument, as DJL's ops do.
 */
public final class CenteredRewardMatching {
    /** The advantage clip the normalised reward divides by (Flow-GRPO's, {@code A in [-5, 5]}). */
    public static final double ADVANTAGE_SCALE = NormalisedReward.CLIP;
    /** Floor of the adaptive weights: an exact prediction would otherwise divide 0 by 0. */
    public static final double WEIGHT_FLOOR = 1e-5;

    private CenteredRewardMatching() {}

    /**
     * The implicit reward of docs/ALGORITHMS.md 7.2 for one noise level.
     *
     * @param vTheta the policy's velocity at {@code x_t} (b, ...), differentiable
     * @param vOld the moving reference's velocity at the same {@code x_t} (b, ...); its gradient is
     *     stopped here
     * @param target the velocity target {@code u = eps - x0} (b, ...)
     * @param form adaptive (paper) or plain
     * @return {@code rho} (b), differentiable through {@code vTheta} only
     */
    public static NDArray implicitReward(NDArray vTheta, NDArray vOld, NDArray target, ImplicitRewardForm form) {
        NDArray eTheta = vTheta.sub(target);
        NDArray eOld = vOld.stopGradient().sub(target);
        // mean_dims(e^2 / w) = mean_dims(e^2) / w for a per-sample w, so both forms reduce first; with
        // identical errors the two terms are then bit-identical and rho is exactly 0.
        NDArray theta = FlowMatching.meanPerSample(eTheta.square());
        NDArray old = FlowMatching.meanPerSample(eOld.square());
        if (form == ImplicitRewardForm.ADAPTIVE) {
            theta = theta.div(adaptiveWeight(eTheta));
            old = old.div(adaptiveWeight(eOld));
        }
        return old.sub(theta);
    }

    /** @return {@code sg(max(mean_dims|e|, 1e-5))} (b) */
    private static NDArray adaptiveWeight(NDArray error) {
        return ScalarMath.maximum(FlowMatching.meanPerSample(error.stopGradient().abs()), WEIGHT_FLOOR);
    }

    /**
     * @param values per-sample values (b)
     * @param groupSize G; with {@link CenteringScope#PROMPT} b must be a multiple of it
     * @param scope the centring set
     * @return {@code values - mean_scope(values)} (b), the mean kept in the graph (differentiable)
     */
    public static NDArray centre(NDArray values, int groupSize, CenteringScope scope) {
        return centre(values, groupSize, scope, false);
    }

    /**
     * @param values per-sample values (b)
     * @param groupSize G; with {@link CenteringScope#PROMPT} b must be a multiple of it
     * @param scope the centring set
     * @return {@code values - sg(mean_scope(values))} (b): the gradient reaches every sample only
     *     through its own value, as in the paper's {@code Pc}
     */
    public static NDArray centreStopGradient(NDArray values, int groupSize, CenteringScope scope) {
        return centre(values, groupSize, scope, true);
    }

    private static NDArray centre(NDArray values, int groupSize, CenteringScope scope, boolean stopGradient) {
        if (values.getShape().dimension() != 1) {
            throw new IllegalArgumentException("centring takes per-sample values (b), got " + values.getShape());
        }
        long b = values.getShape().get(0);
        if (scope == CenteringScope.MICRO_BATCH) {
            NDArray mean = values.mean();
            return values.sub(stopGradient ? mean.stopGradient() : mean);
        }
        checkWholeGroups(b, groupSize);
        NDArray grouped = values.reshape(b / groupSize, groupSize);
        NDArray mean = grouped.mean(new int[] {1}, true);
        return grouped.sub(stopGradient ? mean.stopGradient() : mean).reshape(b);
    }

    /**
     * CRD's reward-matching loss.
     *
     * @param rho the implicit reward (b), differentiable
     * @param normalisedReward {@code r~} (b), see {@link NormalisedReward#of}
     * @param groupSize G; with {@link CenteringScope#PROMPT} b must be a multiple of it
     * @param beta {@code beta_crd}, finite and {@code > 0}
     * @param scope where the means are taken
     * @param loss MSE or BCE
     * @return the scalar loss, differentiable in {@code rho}
     */
    public static NDArray loss(NDArray rho, NDArray normalisedReward, int groupSize, double beta, CenteringScope scope,
            MatchingLoss loss) {
        checkBeta(beta);
        if (scope == null || loss == null) {
            throw new IllegalArgumentException("the centring scope and the matching loss must not be null");
        }
        checkPerSample(rho, normalisedReward);
        NDArray logits = ScalarMath.mul(centreStopGradient(rho, groupSize, scope), beta);
        NDArray rc = centre(normalisedReward.stopGradient(), groupSize, scope);
        return match(logits, rc, beta, loss);
    }

    /**
     * CRD's reward-matching loss with the group means given rather than taken over the rows, for a
     * micro-batch that holds only part of its groups (the means then come from a no-grad pass over
     * the whole groups): {@code Pc_i = rho_i - sg(rhoMean_i)}, {@code Rc_i = r~_i - rewardMean_i}.
     * With the means of the rows' own groups this equals {@link #loss(NDArray, NDArray, int, double,
     * CenteringScope, MatchingLoss)} with {@link CenteringScope#PROMPT}, and per sample, so the loss
     * of a group's parts averages to the loss of the group.
     *
     * @param rho the implicit reward (b), differentiable
     * @param normalisedReward {@code r~} (b)
     * @param rhoMean per row, the mean implicit reward of its group (b); its gradient is stopped
     * @param rewardMean per row, the mean {@code r~} of its group (b)
     * @param beta {@code beta_crd}, finite and {@code > 0}
     * @param loss MSE or BCE
     * @return the scalar loss, differentiable in {@code rho}
     */
    public static NDArray loss(NDArray rho, NDArray normalisedReward, NDArray rhoMean, NDArray rewardMean, double beta,
            MatchingLoss loss) {
        checkBeta(beta);
        if (loss == null) {
            throw new IllegalArgumentException("the matching loss must not be null");
        }
        checkPerSample(rho, normalisedReward);
        if (!rho.getShape().equals(rhoMean.getShape()) || !rho.getShape().equals(rewardMean.getShape())) {
            throw new IllegalArgumentException("the group means must be (b) like rho; got " + rhoMean.getShape() + " and "
                    + rewardMean.getShape() + " for " + rho.getShape());
        }
        NDArray logits = ScalarMath.mul(rho.sub(rhoMean.stopGradient()), beta);
        NDArray rc = normalisedReward.stopGradient().sub(rewardMean.stopGradient());
        return match(logits, rc, beta, loss);
    }

    /**
     * CRD's reward matching with the Flow-Factory port's {@code weight_temp} centring
     * ({@code _compute_crd_loss} in {@code trainers/crd.py}). With {@code weightTemp < 0} (the port's
     * default -1: infinite temperature) the centres are plain means and this is
     * {@link #loss(NDArray, NDArray, int, double, CenteringScope, MatchingLoss)}. Otherwise the loss
     * averages two directions, each centred on weighted means over the scope:
     *
     * <pre>
     * p+ = softmax(r~ / T),  p- = softmax(-r~ / T)                      (T > 0)
     * p+ = softmax(r~ over r~ > 0), p- = softmax(r~ over r~ < 0)         (T = 0; uniform when that set is empty)
     * Rc+ = r~ - sum p+ r~,  Pc+ = rho - sg(sum p+ rho)   (likewise for p-)
     * L = (match(beta Pc+, Rc+) + match(beta Pc-, Rc-)) / 2
     * </pre>
     *
     * The port's hard selection compares the normalised reward {@code r~ in [0, 1]} with 0, so its
     * "negative" set is empty and that direction is uniform; this follows the code.
     *
     * @param rho the implicit reward (b), differentiable
     * @param normalisedReward {@code r~} (b)
     * @param groupSize G; with {@link CenteringScope#PROMPT} b must be a multiple of it
     * @param beta {@code beta_crd}
     * @param scope where the weighted means are taken
     * @param loss MSE or BCE
     * @param weightTemp the temperature T; negative for plain means
     * @return the scalar loss, differentiable in {@code rho}
     */
    public static NDArray loss(NDArray rho, NDArray normalisedReward, int groupSize, double beta, CenteringScope scope,
            MatchingLoss loss, double weightTemp) {
        if (weightTemp < 0) {
            return loss(rho, normalisedReward, groupSize, beta, scope, loss);
        }
        checkBeta(beta);
        checkPerSample(rho, normalisedReward);
        int b = Math.toIntExact(rho.getShape().get(0));
        int set = scope == CenteringScope.MICRO_BATCH ? b : groupSize;
        checkWholeGroups(b, set);
        float[] r = normalisedReward.stopGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        float[] p = rho.stopGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        NDArray total = null;
        for (int sign : new int[] {1, -1}) {
            float[] rCentre = new float[b];
            float[] pCentre = new float[b];
            for (int start = 0; start < b; start += set) {
                double[] w = weights(r, start, set, sign, weightTemp);
                double rMean = 0;
                double pMean = 0;
                for (int j = 0; j < set; j++) {
                    rMean += w[j] * r[start + j];
                    pMean += w[j] * p[start + j];
                }
                for (int j = 0; j < set; j++) {
                    rCentre[start + j] = (float) rMean;
                    pCentre[start + j] = (float) pMean;
                }
            }
            NDArray rc = normalisedReward.stopGradient().sub(ownedCopy(rho, rCentre));
            NDArray logits = ScalarMath.mul(rho.sub(ownedCopy(rho, pCentre)), beta);
            NDArray half = ScalarMath.mul(match(logits, rc, beta, loss), 0.5);
            total = total == null ? half : total.add(half);
        }
        return total;
    }

    /** The port's softmax weights of one centring set, in the direction {@code sign}. */
    static double[] weights(float[] r, int start, int n, int sign, double temp) {
        double[] logit = new double[n];
        boolean any = false;
        for (int j = 0; j < n; j++) {
            double v = r[start + j];
            if (temp == 0) {
                boolean in = sign > 0 ? v > 0 : v < 0;
                logit[j] = in ? v : Double.NEGATIVE_INFINITY;
                any |= in;
            } else {
                logit[j] = sign * v / temp;
                any = true;
            }
        }
        double[] w = new double[n];
        if (!any) {
            java.util.Arrays.fill(w, 1.0 / n);
            return w;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logit) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            w[j] = Math.exp(logit[j] - max);
            sum += w[j];
        }
        for (int j = 0; j < n; j++) {
            w[j] /= sum;
        }
        return w;
    }

    /** A host array as a libtorch-owned array of {@code like}'s type in its manager. */
    private static NDArray ownedCopy(NDArray like, float[] values) {
        try (NDArray wrapped = like.getManager().create(values)) {
            return wrapped.toType(like.getDataType(), true);
        }
    }

    /** The matching of {@code beta Pc} (logits) to {@code Rc}, scaled by {@code 5 / beta}. */
    private static NDArray match(NDArray logits, NDArray rc, double beta, MatchingLoss loss) {
        NDArray perSample;
        if (loss == MatchingLoss.MSE) {
            perSample = logits.sub(rc).square();
        } else {
            // BCEWithLogits(x, y) = softplus(x) - x y. The engine's softplus is the stable one with the
            // exact gradient sigmoid(x); max(x, 0) + log(1 + e^-|x|) would get 0.5 + 0 at x = 0 only
            // through how ties of max and abs happen to be differentiated, and x = 0 is where training
            // starts (policy = moving reference).
            NDArray target = Activation.sigmoid(rc);
            perSample = Activation.softPlus(logits).sub(logits.mul(target));
        }
        return ScalarMath.mul(perSample.mean(), ADVANTAGE_SCALE / beta);
    }

    private static void checkBeta(double beta) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("betaCrd must be finite and > 0, got " + beta);
        }
    }

    private static void checkPerSample(NDArray rho, NDArray normalisedReward) {
        if (!rho.getShape().equals(normalisedReward.getShape()) || rho.getShape().dimension() != 1) {
            throw new IllegalArgumentException("rho and the normalised reward must both be (b); got " + rho.getShape()
                    + " and " + normalisedReward.getShape());
        }
    }

    /**
     * @param b the number of rows
     * @param groupSize G
     * @throws IllegalArgumentException when b rows are not whole groups
     */
    static void checkWholeGroups(long b, int groupSize) {
        if (groupSize < 1 || b % groupSize != 0) {
            throw new IllegalArgumentException("CRD centres within each prompt's group, so a micro-batch must hold whole "
                    + "groups: got " + b + " rows for groups of " + groupSize + ". A micro-batch that holds part of a group "
                    + "must carry its whole groups (MicroBatch.groups(), as the Trainer's do with imagesPerMicroBatch < G); "
                    + "otherwise rows i*G..i*G+G-1 must be one prompt.");
        }
    }
}
