package io.diffrl4j.examples;

import io.diffrl4j.examples.shapes.ShapesChecker;
import io.diffrl4j.rewards.registry.RewardRegistry;

/**
 * The reward names the example commands accept: the rewards module's ({@code ocr}, {@code
 * geneval=URL}, {@code vlm=URL}, {@code jpeg}) plus {@code shapes}, the Shapes world's checker (a
 * mini GenEval scored in process; the same scores {@code geneval=URL} gets from a running
 * {@code ShapesGenEvalServer}).
 */
public final class ExampleRewards {
    private ExampleRewards() {}

    /** @return the registry of the example commands */
    public static RewardRegistry registry() {
        return RewardRegistry.standard().with("shapes", RewardRegistry.Argument.NONE,
                "shapes  the Shapes world's checker (GenEval's rules on the Shapes detector), in process",
                a -> new ShapesChecker());
    }
}
