import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/store.ts';
import { aumOf, factorName, sectorName, styleName, type World } from './world.ts';

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * Writes the world's tables as the `holdings` loader reads them (docs/finance.md, "Your own data"):
 * holdings.csv (portfolio, security, weight, date), securities.csv (security, sector, asset_class,
 * one column per factor), clients.csv (client, style, aum), transactions.csv (client, security,
 * date, side, amount). Each file is written atomically. Returns the paths.
 */
export function writeHoldingsCsv(
  w: World,
  dir: string,
): Record<'holdings' | 'securities' | 'clients' | 'transactions', string> {
  mkdirSync(dir, { recursive: true });
  const { securities: N, factors: K, portfolios: P } = w.params;
  const out = {
    holdings: join(dir, 'holdings.csv'),
    securities: join(dir, 'securities.csv'),
    clients: join(dir, 'clients.csv'),
    transactions: join(dir, 'transactions.csv'),
  };
  const h = ['portfolio,security,weight,date'];
  for (const r of w.holdings)
    h.push(
      `${w.portfolioId(r.portfolio)},${w.securityId(r.security)},${r.weight.toPrecision(6)},${day(w.dateSeconds[r.date]!)}`,
    );
  writeFileAtomic(out.holdings, `${h.join('\n')}\n`);
  const factors = Array.from({ length: K }, (_, k) => factorName(k));
  const s = [['security', 'sector', 'asset_class', ...factors].join(',')];
  for (let i = 0; i < N; i++) {
    const betas = factors.map((_, k) => w.loadings[i * K + k]!.toPrecision(6));
    s.push(
      [
        w.securityId(i),
        sectorName(w.sector[i]!),
        w.isNew[i] ? 'new listing' : 'listed equity',
        ...betas,
      ].join(','),
    );
  }
  writeFileAtomic(out.securities, `${s.join('\n')}\n`);
  const c = ['client,style,aum'];
  for (let q = 0; q < P; q++) c.push(`${w.portfolioId(q)},${styleName(w.style[q]!)},${aumOf(q)}`);
  writeFileAtomic(out.clients, `${c.join('\n')}\n`);
  const t = ['client,security,date,side,amount'];
  for (const r of w.trades)
    t.push(
      `${w.portfolioId(r.portfolio)},${w.securityId(r.security)},${day(w.dateSeconds[r.date]!)},${r.side},${r.amount}`,
    );
  writeFileAtomic(out.transactions, `${t.join('\n')}\n`);
  return out;
}
