/** The shop's products. Prices in cents, in EUR; other currencies by a fixed demo rate. */
export interface Product {
  sku: string;
  name: string;
  price: number;
  blurb: string;
}

export const PRODUCTS: Product[] = [
  { sku: 'tea-sencha', name: 'Sencha tea', price: 850, blurb: 'Grassy, bright green tea from Shizuoka.' },
  { sku: 'tea-earl', name: 'Earl Grey', price: 690, blurb: 'Black tea with bergamot, a classic.' },
  { sku: 'mug-stone', name: 'Stoneware mug', price: 1400, blurb: 'Hand-glazed, 350 ml, dishwasher safe.' },
  { sku: 'kettle', name: 'Gooseneck kettle', price: 4900, blurb: 'Pour-over control, 0.8 l.' },
];

export const CURRENCIES = { EUR: { symbol: '€', rate: 1 }, USD: { symbol: '$', rate: 1.08 } } as const;
export type Currency = keyof typeof CURRENCIES;

export function findProduct(sku: string): Product | undefined {
  return PRODUCTS.find((p) => p.sku === sku);
}

export function formatPrice(cents: number, currency: Currency): string {
  const c = CURRENCIES[currency];
  return `${c.symbol}${((cents * c.rate) / 100).toFixed(2)}`;
}
