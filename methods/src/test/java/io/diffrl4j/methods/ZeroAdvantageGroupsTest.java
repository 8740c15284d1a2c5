package io.diffrl4j.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.methods.nft.DiffusionNft;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Groups whose rewards are all equal: the Flow-GRPO reference (and GARDO on it) drops them before
 * training; DiffusionNFT's train_nft_sd3.py ({@code filtered_samples = collated_samples}) and
 * Flow-Factory's CRD train on them.
 */
class ZeroAdvantageGroupsTest {
    private static boolean skips(Method method, TrainerConfig config) {
        return config.skipZeroAdvantageGroups(method.objective().skipsZeroAdvantageGroups());
    }

    @Test
    void byDefaultOnlyTheFlowGrpoFamilySkipsThem() {
        TrainerConfig config = TrainerConfig.builder().build();
        assertEquals(Optional.empty(), config.skipZeroAdvantageGroups());
        assertEquals("method", config.toJson().get("skip_zero_advantage_groups").asText());
        assertTrue(skips(FlowGrpo.method(), config));
        assertTrue(skips(io.diffrl4j.methods.gardo.Gardo.on(io.diffrl4j.methods.gardo.Gardo.flowGrpoBase(), io.diffrl4j.regularizers.gardo.GatedKl.builder(), io.diffrl4j.regularizers.gardo.AdaptiveReference.flowGrpo()),
                config));
        assertFalse(skips(DiffusionNft.method(), config));
        assertFalse(skips(Crd.method(), config));
    }

    @Test
    void theTrainerConfigOverridesTheMethod() {
        TrainerConfig skip = TrainerConfig.builder().optSkipZeroAdvantageGroups(true).build();
        TrainerConfig keep = TrainerConfig.builder().optSkipZeroAdvantageGroups(false).build();
        assertTrue(skips(DiffusionNft.method(), skip));
        assertTrue(skips(Crd.method(), skip));
        assertFalse(skips(FlowGrpo.method(), keep));
        assertTrue(skip.toJson().get("skip_zero_advantage_groups").asBoolean());
    }
}
