// The part of jstat (no bundled types) that embrec uses.
declare module 'jstat' {
  const jStat: {
    studentt: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
  };
  export default jStat;
}
