package io.terok.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Median and spread of a series of durations in milliseconds. */
record Stats(List<Double> samples) {
    double median() {
        return percentile(50);
    }

    double percentile(double p) {
        List<Double> s = new ArrayList<>(samples);
        Collections.sort(s);
        double rank = p / 100.0 * (s.size() - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return s.get(lo) + (s.get(hi) - s.get(lo)) * (rank - lo);
    }

    String row(String name) {
        return String.format("| %s | %d | %.1f | %.1f | %.1f |", name, samples.size(), median(), percentile(10), percentile(90));
    }
}
