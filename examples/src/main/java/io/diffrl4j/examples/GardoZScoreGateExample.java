package io.diffrl4j.examples;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How to replace one GARDO strategy with your own: a gate whose uncertainty is the proxy reward's
 * z-score minus the mean z-score of the auxiliary rewards over the epoch,
 *
 * <pre>
 * U_i = z_proxy(i) - mean_k z_aux_k(i),   z_m(i) = (r_m(i) - mean r_m) / std r_m   (0 when std = 0)
 * </pre>
 *
 * instead of the paper's win-rates. Unlike win-rates it keeps the size of a disagreement (a proxy
 * score far above its peers counts more than one just above), at the price of being sensitive to
 * outliers. Everything else (top-k gate, k controller, gated reduction, reference, metrics) is
 * inherited from {@link GatedKl}.
 *
 * <p>Use it by swapping it into a GARDO method: {@code GardoZScoreGateExample.install(method)},
 * which is {@code Gardo.replaceGate(method, GardoZScoreGateExample::new)}. {@link #main} runs both
 * gates on a small hand-made reward table and prints what each gates.
 */
public class GardoZScoreGateExample extends GatedKl {
    /** @param template the gate whose settings (reference, strength, k controller) to keep */
    public GardoZScoreGateExample(GatedKl template) {
        super(template);
    }

    /**
     * @param gardo a method from {@link Gardo} with its gate on
     * @return the same method with this gate instead of the default one
     */
    public static Method install(Method gardo) {
        return Gardo.replaceGate(gardo, GardoZScoreGateExample::new);
    }

    @Override
    protected double[] uncertainty(RewardBatch rewards) {
        double[] u = zScores(rewards.proxy());
        List<String> aux = measure().auxiliaryNames(rewards);
        for (String name : aux) {
            double[] z = zScores(rewards.get(name));
            for (int i = 0; i < u.length; i++) {
                u[i] -= z[i] / aux.size();
            }
        }
        return u;
    }

    /** @return {@code (v - mean) / std} with the population std; all 0 when the values are equal */
    static double[] zScores(double[] v) {
        double mean = Arrays.stream(v).average().orElse(0);
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).average().orElse(0);
        double std = Math.sqrt(var);
        double[] z = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            z[i] = std > 0 ? (v[i] - mean) / std : 0;
        }
        return z;
    }

    /**
     * Prints the uncertainties and the gate of the paper's gate and of this one on a reward table of
     * two prompts x 6 images, where image 3 is badly "hacked" (the proxy loves it, the auxiliary
     * does not) and image 9 mildly.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        // Image 3 is badly hacked (the proxy loves it, the aesthetic model does not), image 9 mildly.
        double[] proxy = {0.50, 0.55, 0.60, 0.99, 0.40, 0.45, 0.30, 0.45, 0.50, 0.80, 0.70, 0.35};
        double[] aesthetic = {0.52, 0.50, 0.63, 0.20, 0.38, 0.47, 0.33, 0.44, 0.55, 0.58, 0.66, 0.30};
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("proxy", proxy);
        scores.put("aesthetic", aesthetic);
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < proxy.length; i++) {
            prompts.add(Prompt.of(i < 6 ? "a red cube" : "two cats"));
        }
        RewardBatch rewards = new RewardBatch("proxy", scores, null, prompts, 6);

        Method gardo = Gardo.on(Gardo.flowGrpoBase(), GatedKl.builder(), AdaptiveReference.flowGrpo());
        GatedKl paper = (GatedKl) gardo.regularizers().get(0);
        GatedKl zScore = (GatedKl) install(gardo).regularizers().get(0);
        for (GatedKl gate : List.of(paper, zScore)) {
            gate.onEpochScored(rewards, new TrainingProgress(0, 0));
            System.out.printf(Locale.ROOT, "%-24s k=%.2f threshold=%.3f%n", gate.getClass().getSimpleName(), gate.k(),
                    gate.currentThreshold());
            double[] u = gate.currentUncertainty();
            boolean[] g = gate.currentGate();
            for (int i = 0; i < u.length; i++) {
                System.out.printf(Locale.ROOT, "  image %2d  proxy %.2f  aesthetic %.2f  U %+.3f %s%n", i, proxy[i],
                        aesthetic[i], u[i], g[i] ? "GATED" : "");
            }
        }
    }
}
