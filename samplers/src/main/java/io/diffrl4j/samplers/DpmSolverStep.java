package io.diffrl4j.samplers;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;

/**
 * Deterministic multistep DPM-Solver of order 1 or 2 on a flow model (diffusers'
 * {@code DPMSolverMultistepScheduler}, {@code solver_type="midpoint"}), in the noise form (DPM-Solver)
 * or the data form (DPM-Solver++), written from the reference DiffusionNFT samples with
 * ({@code solver="dpm2"}: {@code dpm_step} in {@code flow_grpo/diffusers_patch/solver.py}).
 *
 * <p>With {@code alpha = 1 - sigma}, {@code lambda = log(alpha / sigma)}, step {@code i} goes from
 * {@code s0 = sigma(i)} to {@code t = sigma(i + 1)}, {@code h = lambda_t - lambda_s0}:
 *
 * <ul>
 *   <li>first order (every step of order 1; the first step; the last step, as the reference's
 *       {@code lower_order_final}; any step whose previous step this instance did not take):
 *       {@code x_t = alpha_t x0 + t eps}, DDIM, which for a flow model is exactly the Euler step
 *       {@code x + (t - s0) v} in either form;</li>
 *   <li>second order, with the previous step's prediction {@code m1} at {@code s1 = sigma(i - 1)},
 *       {@code r0 = (lambda_s0 - lambda_s1) / h}, {@code D0 = m0}, {@code D1 = (m0 - m1) / r0}:
 *       DPM-Solver++ {@code x_t = (t / s0) x - alpha_t (e^-h - 1) (D0 + D1 / 2)} on {@code x0},
 *       DPM-Solver {@code x_t = (alpha_t / alpha_s0) x - t (e^h - 1) (D0 + D1 / 2)} on {@code eps}.
 *       When {@code s1 = 1} ({@code lambda_s1 = -inf}), {@code r0} is infinite and {@code D1 = 0}, as
 *       the reference's float arithmetic gives: the second step is first order too.</li>
 * </ul>
 *
 * <p>A multistep solver remembers the previous step's prediction, so a sampler calls
 * {@link #forRollout()} once per rollout and steps that instance in order; the instance built by
 * the constructor is a stateless template (its {@link #sample} takes first-order steps only).
 * {@link #evaluate} gives the first-order mean (there is no transition density to score).
 */
public final class DpmSolverStep implements SamplerStep {
    private final int order;
    private final DpmSolverForm form;
    private final boolean template;

    private NDArray previousPrediction;
    private int previousIndex = -2;

    /**
     * @param order 1 or 2
     * @param form noise (DPM-Solver) or data (DPM-Solver++) prediction
     */
    public DpmSolverStep(int order, DpmSolverForm form) {
        this(order, form, true);
    }

    private DpmSolverStep(int order, DpmSolverForm form, boolean template) {
        if (order != 1 && order != 2) {
            throw new IllegalArgumentException("order must be 1 or 2, got " + order);
        }
        if (form == null) {
            throw new IllegalArgumentException("form must not be null");
        }
        this.order = order;
        this.form = form;
        this.template = template;
    }

    /** @return DiffusionNFT's rollout solver: second-order multistep DPM-Solver++ ({@code "dpm2"}) */
    public static DpmSolverStep dpmSolverPlusPlus2() {
        return new DpmSolverStep(2, DpmSolverForm.DATA);
    }

    /** @return the solver order */
    public int order() {
        return order;
    }

    /** @return the prediction the solver extrapolates */
    public DpmSolverForm form() {
        return form;
    }

    @Override
    public SamplerStep forRollout() {
        return new DpmSolverStep(order, form, false);
    }

    @Override
    public StepResult sample(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray noise) {
        double s0 = schedule.sigma(i);
        double t = schedule.sigma(i + 1);
        NDArray prediction = prediction(x, v, s0);
        boolean last = i == schedule.steps() - 1;
        NDArray next;
        if (order == 1 || template || previousIndex != i - 1 || previousPrediction == null || last) {
            next = firstOrder(x, v, s0, t);
        } else {
            next = secondOrder(x, prediction, previousPrediction, schedule.sigma(i - 1), s0, t);
        }
        if (previousPrediction != null) {
            previousPrediction.close();
            previousPrediction = null;
        }
        if (!template && !last && order == 2) {
            // Kept past the caller's per-step scope for the next step; closed when replaced or at the last step.
            prediction.detach();
            previousPrediction = prediction;
            previousIndex = i;
        } else {
            prediction.close();
        }
        return new StepResult(next, next, null, 0.0, 0.0);
    }

    @Override
    public StepResult evaluate(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray next) {
        return new StepResult(next, firstOrder(x, v, schedule.sigma(i), schedule.sigma(i + 1)), null, 0.0, 0.0);
    }

    @Override
    public boolean isStochastic() {
        return false;
    }

    /** DDIM: alpha_t x0 + t eps, which is x + (t - s) v. */
    private static NDArray firstOrder(NDArray x, NDArray v, double s, double t) {
        return x.add(ScalarMath.mul(v, t - s));
    }

    private NDArray prediction(NDArray x, NDArray v, double sigma) {
        return form == DpmSolverForm.DATA ? x.sub(ScalarMath.mul(v, sigma)) : x.add(ScalarMath.mul(v, 1 - sigma));
    }

    private NDArray secondOrder(NDArray x, NDArray m0, NDArray m1, double s1, double s0, double t) {
        double h = lambda(t) - lambda(s0);
        double h0 = lambda(s0) - lambda(s1);
        double r0 = h0 / h;
        // lambda(1) = -inf: r0 = inf and the correction vanishes, as in the reference's float arithmetic.
        NDArray d = Double.isInfinite(r0) ? m0 : m0.add(ScalarMath.mul(m0.sub(m1), 0.5 / r0));
        if (form == DpmSolverForm.DATA) {
            return ScalarMath.mul(x, t / s0).sub(ScalarMath.mul(d, (1 - t) * Math.expm1(-h)));
        }
        return ScalarMath.mul(x, (1 - t) / (1 - s0)).sub(ScalarMath.mul(d, t * Math.expm1(h)));
    }

    private static double lambda(double sigma) {
        return Math.log(1 - sigma) - Math.log(sigma);
    }

    @Override
    public String toString() {
        return (form == DpmSolverForm.DATA ? "DPM-Solver++" : "DPM-Solver") + "(" + order + (order == 2 ? "M" : "") + ")";
    }
}
