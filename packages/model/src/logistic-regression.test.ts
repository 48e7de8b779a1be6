import { seededRandom } from '@telltale/testing';
import { collectFeatureNames, designMatrix, trainLogisticRegression, type LabelledSample } from './logistic-regression';
import { rocAuc } from './metrics';
import { scoreProbability } from './probability';

function syntheticSamples(n: number, seed: number): LabelledSample[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const carts = Math.floor(random() * 5);
    const value = random() * 200;
    const noise = random();
    // Log-odds rise with add-to-carts and cart value; the noise feature carries nothing.
    const p = 1 / (1 + Math.exp(-(-3 + 1.2 * carts + 0.01 * value)));
    return {
      features: { session_add_to_carts: carts, session_cart_value: value, noise, constant: 7 },
      label: random() < p ? 1 : 0,
    };
  });
}

describe('trainLogisticRegression', () => {
  const samples = syntheticSamples(600, 42);
  const names = collectFeatureNames(samples);
  const { model, classifier } = trainLogisticRegression(samples, names, { learningRate: 0.5, steps: 400 });

  it('lists feature names sorted, with one weight each', () => {
    expect(names).toEqual(['constant', 'noise', 'session_add_to_carts', 'session_cart_value']);
    expect(model.weights).toHaveLength(4);
    expect(model.means).toHaveLength(4);
  });

  it('gives the probabilities of the library itself, through the extracted weights and intercept', () => {
    const x = designMatrix(names, model, samples.map((s) => s.features));
    const libraryProbabilities = classifier.classifiers[0]!.testScores(x);
    const libraryClasses = classifier.predict(x);
    samples.forEach((s, i) => {
      const p = scoreProbability(model, s.features);
      expect(p).toBeCloseTo(libraryProbabilities[i]!, 12);
      expect(p >= 0.5 ? 1 : 0).toBe(libraryClasses[i]);
    });
  });

  it('learns the direction of the signal', () => {
    const byName = Object.fromEntries(names.map((n, i) => [n, model.weights[i]!]));
    expect(byName.session_add_to_carts).toBeGreaterThan(0.5);
    expect(byName.session_cart_value).toBeGreaterThan(0.2);
    expect(Math.abs(byName.noise!)).toBeLessThan(0.3);
    // A constant standardises to 0 everywhere: its weight never moves.
    expect(byName.constant).toBe(0);
    const held = syntheticSamples(400, 7);
    expect(rocAuc(held.map((s) => s.label), held.map((s) => scoreProbability(model, s.features)))).toBeGreaterThan(0.75);
  });

  it('refuses one-class data', () => {
    const oneClass = samples.map((s) => ({ ...s, label: 0 as const }));
    expect(() => trainLogisticRegression(oneClass, names, { learningRate: 0.5, steps: 10 })).toThrow(/one class/);
  });
});
