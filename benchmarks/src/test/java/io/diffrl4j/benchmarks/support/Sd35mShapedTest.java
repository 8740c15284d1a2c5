package io.diffrl4j.benchmarks.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.diffrl4j.models.mmdit.MmditConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class Sd35mShapedTest {
    @Test
    void shippedConfigIsTheRealOne() {
        assertEquals(MmditConfig.sd35Medium(), Sd35mShaped.full());
        assertEquals(MmditConfig.sd35Medium(), Sd35mShaped.reduced(24));
    }

    @Test
    void reducedKeepsDualAttentionInProportionAndEverythingElse() {
        MmditConfig two = Sd35mShaped.reduced(2);
        assertEquals(2, two.numLayers());
        assertEquals(List.of(0), two.dualAttentionLayers());
        assertEquals(List.of(0, 1), Sd35mShaped.reduced(4).dualAttentionLayers());
        assertEquals(List.of(0), Sd35mShaped.reduced(1).dualAttentionLayers());
        MmditConfig full = MmditConfig.sd35Medium();
        assertEquals(full.innerDim(), two.innerDim());
        assertEquals(full.jointAttentionDim(), two.jointAttentionDim());
        assertEquals(full.posEmbedMaxSize(), two.posEmbedMaxSize());
        assertEquals(full.qkNorm(), two.qkNorm());
    }

    @Test
    void layersOutsideTheModelAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Sd35mShaped.reduced(0));
        assertThrows(IllegalArgumentException.class, () -> Sd35mShaped.reduced(25));
    }
}
