export * from './history';
export * from './linearizability';
