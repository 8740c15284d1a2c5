package io.diffrl4j.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.SamplerStep;
import org.junit.jupiter.api.Test;

/**
 * DPM-Solver on a Gaussian flow whose velocity and ODE solution are known in closed form: data
 * {@code x0 ~ N(mu, s^2)} per element, {@code x_sigma = (1 - sigma) x0 + sigma eps}, so
 * {@code x_sigma ~ N(m, V)} with {@code m = (1 - sigma) mu}, {@code V = (1 - sigma)^2 s^2 + sigma^2},
 * the velocity {@code E[eps - x0 | x] = (sigma - (1 - sigma) s^2) (x - m) / V - mu}, and the ODE maps
 * noise {@code x_1} to {@code mu + s x_1}.
 */
class DpmSolverStepTest {
    private static final double MU = 0.7;
    private static final double S = 0.4;
    private static final float[] START = {-1.3f, -0.2f, 0.5f, 1.9f};

    private static double velocity(double x, double sigma) {
        double m = (1 - sigma) * MU;
        double v = (1 - sigma) * (1 - sigma) * S * S + sigma * sigma;
        return (sigma - (1 - sigma) * S * S) * (x - m) / v - MU;
    }

    /** The closed-form velocity as a model (ignores the conditioning). */
    private static final class GaussianFlow implements FlowModel {
        @Override
        public NDArray velocity(NDArray x, NDArray sigma, Conditioning c) {
            double sg = sigma.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble(0);
            double[] xs = x.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double[] out = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                out[i] = DpmSolverStepTest.velocity(xs[i], sg);
            }
            return x.getManager().create(out, x.getShape()).toType(x.getDataType(), false);
        }
    }

    /**
     * DiffusionNFT's run_sampling with solver "dpm2" (or "dpm1"), determistic, transcribed line by line
     * from flow_grpo/diffusers_patch/solver.py in float64: DPMState, dpm_step, convert_model_output,
     * ddim_update (eta 0), dpm_solver_first_order_update, multistep_dpm_solver_second_order_update.
     *
     * @return every latent, all_latents[0..N]
     */
    private static double[][] referenceLoop(double[] z0, double[] sigmas, int order) {
        int n = sigmas.length - 1;
        double[][] all = new double[n + 1][];
        all[0] = z0.clone();
        double[] z = z0.clone();
        double[][] modelOutputs = new double[order][];
        int lowerOrderNums = 0;
        for (int i = 0; i < n; i++) {
            double sigma = sigmas[i];
            double[] m = new double[z.length];
            for (int k = 0; k < z.length; k++) {
                m[k] = z[k] - sigma * velocity(z[k], sigma); // convert_model_output: x0 = sample - sigma_t * v
            }
            boolean lowerOrderFinal = i == n - 1; // len(timesteps) = len(sigma_schedule[:-1]) = n
            for (int k = 0; k < order - 1; k++) {
                modelOutputs[k] = modelOutputs[k + 1];
            }
            modelOutputs[order - 1] = m;
            double[] next = new double[z.length];
            if (order == 1 || lowerOrderNums < 1 || lowerOrderFinal) {
                double t = sigmas[i + 1];
                double s = sigmas[i];
                if (i == 0 || lowerOrderFinal) {
                    // ddim_update, eta 0: rho_t = 0, noise_pred = (sample - (1 - s) x0) / s
                    for (int k = 0; k < z.length; k++) {
                        double noisePred = (z[k] - (1 - s) * m[k]) / s;
                        next[k] = (1 - t) * m[k] + Math.sqrt(t * t - 0) * noisePred;
                    }
                } else {
                    double lambdaT = Math.log(1 - t) - Math.log(t);
                    double lambdaS = Math.log(1 - s) - Math.log(s);
                    double h = lambdaT - lambdaS;
                    for (int k = 0; k < z.length; k++) {
                        next[k] = (t / s) * z[k] - ((1 - t) * (Math.exp(-h) - 1.0)) * m[k];
                    }
                }
            } else {
                double t = sigmas[i + 1];
                double s0 = sigmas[i];
                double s1 = sigmas[i - 1];
                double lambdaT = Math.log(1 - t) - Math.log(t);
                double lambdaS0 = Math.log(1 - s0) - Math.log(s0);
                double lambdaS1 = Math.log(1 - s1) - Math.log(s1);
                double[] m0 = modelOutputs[order - 1];
                double[] m1 = modelOutputs[order - 2];
                double h = lambdaT - lambdaS0;
                double h0 = lambdaS0 - lambdaS1;
                double r0 = h0 / h;
                for (int k = 0; k < z.length; k++) {
                    double d0 = m0[k];
                    double d1 = (1.0 / r0) * (m0[k] - m1[k]);
                    next[k] = (t / s0) * z[k] - ((1 - t) * (Math.exp(-h) - 1.0)) * d0
                            - 0.5 * ((1 - t) * (Math.exp(-h) - 1.0)) * d1;
                }
            }
            if (lowerOrderNums < order) {
                lowerOrderNums++;
            }
            z = next;
            all[i + 1] = z.clone();
        }
        return all;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Steps a fresh per-rollout solver in float64 and returns every latent. */
    private static double[][] solve(NDManager m, SamplerStep template, InferenceSchedule schedule, double[] z0) {
        SamplerStep step = template.forRollout();
        GaussianFlow model = new GaussianFlow();
        int n = schedule.steps();
        double[][] all = new double[n + 1][];
        all[0] = z0.clone();
        NDArray x = m.create(z0, new Shape(z0.length));
        for (int i = 0; i < n; i++) {
            NDArray sigma = m.create(new double[] {schedule.sigma(i)});
            NDArray v = model.velocity(x, sigma, Conditioning.none(1));
            x = step.sample(x, v, schedule, i, null).next();
            all[i + 1] = x.toDoubleArray();
        }
        return all;
    }

    @Test
    void dpmSolverPlusPlusMatchesTheReferenceLoopStepByStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int order : new int[] {1, 2}) {
                for (int steps : new int[] {10, 25}) {
                    InferenceSchedule schedule = InferenceSchedule.of(steps, 3.0);
                    double[] z0 = toDouble(START);
                    double[][] reference = referenceLoop(z0, schedule.sigmas(), order);
                    double[][] ours = solve(m, new DpmSolverStep(order, DpmSolverForm.DATA), schedule, z0);
                    for (int i = 0; i <= steps; i++) {
                        for (int k = 0; k < z0.length; k++) {
                            assertEquals(reference[i][k], ours[i][k], 1e-6,
                                    "order " + order + ", " + steps + " steps, latent " + i + ", element " + k);
                        }
                    }
                }
            }
        }
    }

    @Test
    void firstOrderIsTheEulerStepInBothForms() {
        // DDIM for a flow: (1 - t) x0 + t eps = x + (t - s) v, whichever prediction is extrapolated.
        try (NDManager m = NDManager.newBaseManager()) {
            InferenceSchedule schedule = InferenceSchedule.of(10, 3.0);
            double[] z0 = toDouble(START);
            double[][] euler = solve(m, new EulerStep(), schedule, z0);
            for (DpmSolverForm form : DpmSolverForm.values()) {
                double[][] dpm1 = solve(m, new DpmSolverStep(1, form), schedule, z0);
                for (int k = 0; k < z0.length; k++) {
                    assertEquals(euler[10][k], dpm1[10][k], 1e-6, form + " element " + k);
                }
            }
        }
    }

    /** max_k |x_N - (mu + s x_1)| on a shift-1 schedule of {@code steps} steps. */
    private static double finalError(NDManager m, SamplerStep step, int steps) {
        double[] z0 = toDouble(START);
        double[][] path = solve(m, step, InferenceSchedule.of(steps, 1.0), z0);
        double err = 0;
        for (int k = 0; k < z0.length; k++) {
            err = Math.max(err, Math.abs(path[steps][k] - (MU + S * z0[k])));
        }
        return err;
    }

    @Test
    void secondOrderConvergesAtSecondOrderInBothForms() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DpmSolverForm form : DpmSolverForm.values()) {
                DpmSolverStep dpm2 = new DpmSolverStep(2, form);
                double e20 = finalError(m, dpm2, 20);
                double e40 = finalError(m, dpm2, 40);
                double e80 = finalError(m, dpm2, 80);
                double r1 = e20 / e40;
                double r2 = e40 / e80;
                assertTrue(r1 > 3.2 && r1 < 5, form + ": error ratio 20 -> 40 steps " + r1 + " (" + e20 + ", " + e40 + ")");
                assertTrue(r2 > 3.2 && r2 < 5, form + ": error ratio 40 -> 80 steps " + r2 + " (" + e40 + ", " + e80 + ")");
            }
            // First order halves its error when the step halves.
            double e1a = finalError(m, new DpmSolverStep(1, DpmSolverForm.DATA), 20);
            double e1b = finalError(m, new DpmSolverStep(1, DpmSolverForm.DATA), 40);
            assertTrue(e1a / e1b > 1.7 && e1a / e1b < 2.4, "first order ratio " + e1a / e1b + " (" + e1a + ", " + e1b + ")");
            // The last steps into sigma ~ 0.001 are long in lambda = log(alpha / sigma), which gives the
            // second-order method a large constant: it overtakes first order as the steps shrink.
            double e1c = finalError(m, new DpmSolverStep(1, DpmSolverForm.DATA), 80);
            double e2c = finalError(m, new DpmSolverStep(2, DpmSolverForm.DATA), 80);
            assertTrue(e2c < e1c, "80 steps: second order " + e2c + " vs first " + e1c);
        }
    }

    @Test
    void theTrajectorySamplerRunsTheSolverPerRollout() {
        try (NDManager m = NDManager.newBaseManager()) {
            DpmSolverStep template = DpmSolverStep.dpmSolverPlusPlus2();
            assertFalse(template.isStochastic());
            assertSame(template.getClass(), template.forRollout().getClass());
            TrajectorySampler sampler = TrajectorySampler.builder().optSteps(10).optShift(3.0).optGuidanceScale(1.0)
                    .optWindow(SdeWindow.none()).optOdeStep(template).build();
            Conditioning cond = Conditioning.none(1);
            Rollout first = sampler.sample(m, new GaussianFlow(), cond, null, 2, new Shape(3), new SeededNoise(4));
            Rollout second = sampler.sample(m, new GaussianFlow(), cond, null, 2, new Shape(3), new SeededNoise(4));
            float[] noise = new SeededNoise(4).normal(m, new Shape(2, 3)).toFloatArray();
            double[][] reference = referenceLoop(toDouble(noise), InferenceSchedule.of(10, 3.0).sigmas(), 2);
            float[] a = first.samples().toFloatArray();
            float[] b = second.samples().toFloatArray();
            for (int k = 0; k < a.length; k++) {
                assertEquals(reference[10][k], a[k], 1e-5, "element " + k);
                assertEquals(a[k], b[k], 0f, "a second rollout starts without the first one's history");
            }
        }
    }
}
