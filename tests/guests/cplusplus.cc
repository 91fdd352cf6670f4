// C++: containers, algorithms, exceptions across frames, iostreams, RTTI, static constructors.
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>
#include <algorithm>
struct Shape { virtual ~Shape() = default; virtual double area() const = 0; };
struct Square : Shape { double side; explicit Square(double s) : side(s) {} double area() const override { return side * side; } };
static std::vector<int> built_at_start{4, 5, 6};

static int deep(int n) {
    if (n == 0) throw std::out_of_range("bottom reached");
    return deep(n - 1) + 1;
}

int main() {
    try { deep(50); } catch (const std::out_of_range &e) { std::cout << "unwound: " << e.what() << "\n"; }
    Shape *shape = new Square(1.5);
    std::cout << "area " << shape->area() << " is a square: " << (dynamic_cast<Square *>(shape) != nullptr) << "\n";
    delete shape;
    std::cout << "static vector size " << built_at_start.size() << "\n";
    std::map<std::string, int> counts;
    for (auto w : {"a", "b", "a", "c", "b", "a"}) counts[w]++;
    for (auto &[k, v] : counts) std::cout << k << "=" << v << "\n";
    try { throw std::runtime_error("boom"); } catch (const std::exception &e) { std::cout << "caught " << e.what() << "\n"; }
    std::vector<double> v{3.5, 1.25, 2.0}; std::sort(v.begin(), v.end());
    for (double d : v) std::cout << d << " ";
    std::cout << std::endl;
    return 0;
}
