package io.diffrl4j.rewards.geneval;

/**
 * What a GenEval reward server says about one image: its three numbers, as sent. Immutable.
 *
 * @param score the partial score ({@code scores}): the mean of the clause parts, at most 1 and
 *     below 0 when far too many objects are found; what Flow-GRPO optimises
 * @param strictReward {@code strict_rewards}: 1.0 when every include clause matched with exact
 *     counts, else 0.0
 * @param reward {@code rewards}: GenEval's classic "correct" as 1.0 or 0.0; always 0.0 when the
 *     request asked for strict results only
 */
public record GenEvalOutcome(double score, double strictReward, double reward) {
    /** @return true when the image passed GenEval's strict rules */
    public boolean strict() {
        return strictReward == 1.0;
    }

    /** @return true when the image passed GenEval's classic rules (never when only strict results were asked for) */
    public boolean correct() {
        return reward == 1.0;
    }
}
